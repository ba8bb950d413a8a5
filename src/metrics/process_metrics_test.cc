#include <unistd.h>

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "metrics/registry.h"

namespace cubelet::metrics {
namespace {

// The value of the unlabelled sample `name` in `text`, or -1.
double SampleValue(const std::string& text, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    double v;
    if (parts.size() == 2 && parts[0] == name && absl::SimpleAtod(parts[1], &v)) return v;
  }
  return -1;
}

TEST(ProcessMetricsTest, ReportsThisProcess) {
  Registry r;
  RegisterProcessMetrics(&r);
  std::string text = r.Render();
  EXPECT_THAT(text, ::testing::HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("# TYPE process_resident_memory_bytes gauge\n"));
  EXPECT_GE(SampleValue(text, "process_cpu_seconds_total"), 0);
  EXPECT_GT(SampleValue(text, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(SampleValue(text, "process_virtual_memory_bytes"),
            SampleValue(text, "process_resident_memory_bytes"));
  EXPECT_GE(SampleValue(text, "process_open_fds"), 3);
  EXPECT_GE(SampleValue(text, "process_max_fds"), SampleValue(text, "process_open_fds"));
  EXPECT_GE(SampleValue(text, "process_threads"), 1);
  double start = SampleValue(text, "process_start_time_seconds");
  double now = absl::ToUnixSeconds(absl::Now());
  EXPECT_GT(start, now - 3600);
  EXPECT_LE(start, now + 1);
}

TEST(ProcessMetricsTest, OpenFdsFollowsOpenFiles) {
  Registry r;
  RegisterProcessMetrics(&r);
  double before = SampleValue(r.Render(), "process_open_fds");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  double after = SampleValue(r.Render(), "process_open_fds");
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_EQ(after, before + 2);
}

}  // namespace
}  // namespace cubelet::metrics
