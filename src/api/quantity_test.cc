#include "api/quantity.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

struct QuantityCase {
  std::string input;
  int64_t milli;
  int64_t value;
};

TEST(QuantityTest, ParsesTable) {
  const QuantityCase cases[] = {
      {"100m", 100, 1},
      {"0.5", 500, 1},
      {"2", 2000, 2},
      {"1.5", 1500, 2},
      {"0", 0, 0},
      {"0m", 0, 0},
      {"1m", 1, 1},
      {"0.1m", 1, 1},  // milli rounds up, like resource.Quantity.MilliValue
      {"250m", 250, 1},
      {"64Mi", 64LL * 1024 * 1024 * 1000, 64LL * 1024 * 1024},
      {"1Ki", 1024000, 1024},
      {"1Gi", 1073741824000LL, 1073741824LL},
      {"1.5Gi", 1610612736000LL, 1610612736LL},
      {"1G", 1000000000000LL, 1000000000LL},
      {"1k", 1000000, 1000},
      {"1M", 1000000000LL, 1000000},
      {"1T", 1000000000000000LL, 1000000000000LL},
      {"1e3", 1000000, 1000},
      {"1E3", 1000000, 1000},
      {"1e-3", 1, 1},
      {"1.5e+2", 150000, 150},
      {"100n", 1, 1},
      {"1500u", 2, 1},
      {".5", 500, 1},
      {"5.", 5000, 5},
      {"+3", 3000, 3},
      {"-1", -1000, -1},
      {"-1.5", -1500, -1},  // ceil of -1.5 is -1
      {"-100m", -100, 0},
      {"007", 7000, 7},
  };
  for (const QuantityCase& c : cases) {
    absl::StatusOr<int64_t> milli = ParseMilliValue(c.input);
    ASSERT_TRUE(milli.ok()) << c.input << ": " << milli.status();
    EXPECT_EQ(*milli, c.milli) << c.input;
    absl::StatusOr<int64_t> value = ParseValue(c.input);
    ASSERT_TRUE(value.ok()) << c.input << ": " << value.status();
    EXPECT_EQ(*value, c.value) << c.input;
  }
}

TEST(QuantityTest, ExaSuffixAndOverflow) {
  EXPECT_EQ(*ParseValue("1E"), 1000000000000000000LL);
  EXPECT_EQ(ParseMilliValue("1E").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*ParseValue("4Ei"), 4LL << 60);
  EXPECT_EQ(ParseValue("8Ei").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ParseValue("1e100").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*ParseValue("1e-100"), 1);  // tiny positive rounds up to 1
  EXPECT_EQ(*ParseValue("-1e-100"), 0);
  EXPECT_TRUE(ValidateQuantitySyntax("1e100").ok());
}

TEST(QuantityTest, RejectsBadSyntax) {
  for (const char* bad : {"", "abc", "1.5.5", ".", "-", "1K", "1ki", "1e", "1e+", "1m5", "1 m", "m",
                          "1Mii", "0x10", "1,5"}) {
    absl::StatusOr<int64_t> v = ParseMilliValue(bad);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(ValidateQuantitySyntax(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseValue("abc").status().message(),
            "invalid quantity \"abc\": quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
}

TEST(QuantityTest, Negative) {
  EXPECT_TRUE(IsNegativeQuantity("-1"));
  EXPECT_TRUE(IsNegativeQuantity("-0.5m"));
  EXPECT_FALSE(IsNegativeQuantity("-0"));
  EXPECT_FALSE(IsNegativeQuantity("1"));
  EXPECT_FALSE(IsNegativeQuantity("abc"));
}

}  // namespace
}  // namespace cubelet::api
