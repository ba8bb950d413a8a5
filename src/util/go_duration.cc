#include "util/go_duration.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace cubelet {
namespace {

std::string FormatFraction(uint64_t value, int digits) {
  if (value == 0) return "";
  std::string s = std::to_string(value);
  s.insert(0, static_cast<size_t>(digits) - s.size(), '0');
  s.erase(s.find_last_not_of('0') + 1);
  return "." + s;
}

}  // namespace

std::string FormatGoDuration(absl::Duration d) {
  int64_t ns = absl::ToInt64Nanoseconds(d);  // saturates, as Go's int64 does
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? -static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (u < 1'000) return absl::StrCat(sign, u, "ns");
  if (u < 1'000'000) return absl::StrCat(sign, u / 1'000, FormatFraction(u % 1'000, 3), "\u00b5s");
  if (u < 1'000'000'000) {
    return absl::StrCat(sign, u / 1'000'000, FormatFraction(u % 1'000'000, 6), "ms");
  }
  uint64_t secs = u / 1'000'000'000;
  std::string out = absl::StrCat(secs % 60, FormatFraction(u % 1'000'000'000, 9), "s");
  uint64_t mins = secs / 60;
  if (mins > 0) {
    out = absl::StrCat(mins % 60, "m", out);
    if (mins / 60 > 0) out = absl::StrCat(mins / 60, "h", out);
  }
  return sign + out;
}

}  // namespace cubelet
