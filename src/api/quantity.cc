#include "api/quantity.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace cubelet::api {
namespace {

// Beyond this many significant digits the exact arithmetic below could overflow
// 128 bits; no real manifest needs more (int64 itself has 19).
constexpr int kMaxSignificantDigits = 20;
// Exponents are saturated here: anything larger overflows or rounds to 0/1.
constexpr int64_t kMaxExponent = 10000;

// A parsed quantity: (-1)^negative * digits * 10^exp10 * 2^exp2.
struct Decimal {
  bool negative = false;
  std::string digits;  // significant digits, no leading/trailing zeros; "" is 0
  int64_t exp10 = 0;
  int exp2 = 0;
};

absl::Status SyntaxError(std::string_view s) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid quantity \"", std::string(s), "\": ", kQuantityGrammarMessage));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::StatusOr<Decimal> Parse(std::string_view s) {
  Decimal d;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    d.negative = s[i] == '-';
    ++i;
  }
  std::string mantissa;
  size_t int_digits = 0;
  size_t frac_digits = 0;
  while (i < s.size() && IsDigit(s[i])) {
    mantissa.push_back(s[i++]);
    ++int_digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) {
      mantissa.push_back(s[i++]);
      ++frac_digits;
    }
  }
  if (int_digits == 0 && frac_digits == 0) return SyntaxError(s);
  d.exp10 = -static_cast<int64_t>(frac_digits);

  std::string_view suffix = s.substr(i);
  if (suffix.empty()) {
  } else if (suffix == "n") {
    d.exp10 -= 9;
  } else if (suffix == "u") {
    d.exp10 -= 6;
  } else if (suffix == "m") {
    d.exp10 -= 3;
  } else if (suffix == "k") {
    d.exp10 += 3;
  } else if (suffix == "M") {
    d.exp10 += 6;
  } else if (suffix == "G") {
    d.exp10 += 9;
  } else if (suffix == "T") {
    d.exp10 += 12;
  } else if (suffix == "P") {
    d.exp10 += 15;
  } else if (suffix == "E") {
    d.exp10 += 18;
  } else if (suffix.size() == 2 && suffix[1] == 'i') {
    static constexpr std::string_view kBinary = "KMGTPE";
    size_t pos = kBinary.find(suffix[0]);
    if (pos == std::string_view::npos) return SyntaxError(s);
    d.exp2 = 10 * static_cast<int>(pos + 1);
  } else if ((suffix[0] == 'e' || suffix[0] == 'E') && suffix.size() > 1) {
    size_t j = 1;
    bool exp_negative = false;
    if (suffix[j] == '+' || suffix[j] == '-') {
      exp_negative = suffix[j] == '-';
      ++j;
    }
    if (j == suffix.size()) return SyntaxError(s);
    int64_t exp = 0;
    for (; j < suffix.size(); ++j) {
      if (!IsDigit(suffix[j])) return SyntaxError(s);
      exp = std::min(kMaxExponent, exp * 10 + (suffix[j] - '0'));
    }
    d.exp10 += exp_negative ? -exp : exp;
  } else {
    return SyntaxError(s);
  }

  size_t first = mantissa.find_first_not_of('0');
  if (first == std::string::npos) {
    d.negative = false;  // -0 is 0
    return d;
  }
  size_t last = mantissa.find_last_not_of('0');
  d.exp10 += static_cast<int64_t>(mantissa.size() - 1 - last);
  d.digits = mantissa.substr(first, last - first + 1);
  return d;
}

// ceil(d * 10^extra_exp10), exactly.
absl::StatusOr<int64_t> CeilValue(std::string_view s, const Decimal& d, int extra_exp10) {
  if (d.digits.empty()) return 0;
  if (static_cast<int>(d.digits.size()) > kMaxSignificantDigits) {
    return absl::OutOfRangeError(absl::StrCat("quantity \"", std::string(s), "\" has more than ",
                                              kMaxSignificantDigits, " significant digits"));
  }
  using int128 = __int128;
  constexpr int128 kMax = std::numeric_limits<int64_t>::max();
  auto overflow = [&] {
    return absl::OutOfRangeError(
        absl::StrCat("quantity \"", std::string(s), "\" does not fit in 64 bits"));
  };
  int128 num = 0;
  for (char c : d.digits) num = num * 10 + (c - '0');  // < 10^20
  num <<= d.exp2;                                      // < 10^20 * 2^60 < 2^127
  int64_t exp10 = d.exp10 + extra_exp10;
  int128 magnitude;
  bool rounded_away = false;  // the magnitude was truncated
  if (exp10 >= 0) {
    if (num > kMax) return overflow();
    for (int64_t k = 0; k < exp10; ++k) {
      num *= 10;
      if (num > kMax) return overflow();
    }
    magnitude = num;
  } else if (exp10 < -38) {
    // 10^38 exceeds num, so the magnitude is strictly between 0 and 1.
    magnitude = 0;
    rounded_away = true;
  } else {
    int128 den = 1;
    for (int64_t k = 0; k < -exp10; ++k) den *= 10;
    magnitude = num / den;
    rounded_away = num % den != 0;
  }
  // Ceil: a positive remainder rounds up; a negative one truncates toward 0.
  if (!d.negative && rounded_away) ++magnitude;
  if (magnitude > kMax) return overflow();
  int64_t v = static_cast<int64_t>(magnitude);
  return d.negative ? -v : v;
}

}  // namespace

absl::StatusOr<int64_t> ParseMilliValue(std::string_view quantity) {
  absl::StatusOr<Decimal> d = Parse(quantity);
  if (!d.ok()) return d.status();
  return CeilValue(quantity, *d, 3);
}

absl::StatusOr<int64_t> ParseValue(std::string_view quantity) {
  absl::StatusOr<Decimal> d = Parse(quantity);
  if (!d.ok()) return d.status();
  return CeilValue(quantity, *d, 0);
}

absl::Status ValidateQuantitySyntax(std::string_view quantity) { return Parse(quantity).status(); }

bool IsNegativeQuantity(std::string_view quantity) {
  absl::StatusOr<Decimal> d = Parse(quantity);
  return d.ok() && d->negative;
}

}  // namespace cubelet::api
