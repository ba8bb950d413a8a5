#include "util/go_duration.h"

#include "gtest/gtest.h"

namespace cubelet {
namespace {

TEST(FormatGoDurationTest, MatchesGoDurationString) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Nanoseconds(5)), "5ns");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(1500)), "1.5ms");
  EXPECT_EQ(FormatGoDuration(absl::Nanoseconds(2500)), "2.5\u00b5s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(250)), "250ms");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(1)), "1s");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(3)), "3m0s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(3) + absl::Seconds(1)), "3m1s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(3) + absl::Nanoseconds(1)), "3m0.000000001s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(26) + absl::Seconds(5)), "26h0m5s");
  EXPECT_EQ(FormatGoDuration(-absl::Seconds(90)), "-1m30s");
}

TEST(FormatGoDurationTest, WholeSecondsAsTheBackOffMessagesUseThem) {
  EXPECT_EQ(FormatGoDuration(absl::Seconds(10)), "10s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(80)), "1m20s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(300)), "5m0s");
}

}  // namespace
}  // namespace cubelet
