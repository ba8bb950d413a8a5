// Termination-message files and the log fallback, on real files in a temp dir.
#include "kuberuntime/termination_message.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::kuberuntime {
namespace {

using test_support::ScopedTempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// One CRI log record per line of `lines`.
std::string CriLog(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    absl::StrAppend(&out, "2024-01-02T03:04:05.000000000Z stdout F ", l, "\n");
  }
  return out;
}

class TerminationMessageTest : public ::testing::Test {
 protected:
  // An exited container whose termination-log mount is `file` and log `log`.
  cri::ContainerStatus Exited(int32_t exit_code) {
    cri::ContainerStatus s;
    s.state = cri::ContainerState::kExited;
    s.exit_code = exit_code;
    s.mounts = {cri::Mount{.container_path = "/data", .host_path = tmp_.File("other")},
                cri::Mount{.container_path = "/dev/termination-log", .host_path = file_}};
    s.log_path = log_;
    return s;
  }

  ScopedTempDir tmp_;
  std::string file_ = tmp_.File("msg");
  std::string log_ = tmp_.File("0.log");
};

TEST_F(TerminationMessageTest, MountIsAFreshWorldWritableFilePerInstance) {
  mode_t old = ::umask(022);
  const std::string dir = tmp_.File("pods/u/containers/app");
  absl::StatusOr<cri::Mount> a = MakeTerminationMessageMount(dir, "/dev/termination-log");
  absl::StatusOr<cri::Mount> b = MakeTerminationMessageMount(dir, "/dev/termination-log");
  ::umask(old);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->container_path, "/dev/termination-log");
  EXPECT_FALSE(a->readonly);
  EXPECT_THAT(a->host_path, StartsWith(dir + "/"));
  EXPECT_NE(a->host_path, b->host_path);
  struct stat st;
  ASSERT_EQ(::stat(a->host_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  EXPECT_EQ(st.st_size, 0);
}

TEST_F(TerminationMessageTest, FileContentIsTheMessage) {
  Write(file_, "bye");
  EXPECT_EQ(TerminationMessage(Exited(1), "/dev/termination-log", "File"), "bye");
  // Another path in the container: nothing mounted there, no message.
  EXPECT_EQ(TerminationMessage(Exited(1), "/tmp/msg", "File"), "");
  EXPECT_EQ(TerminationMessage(Exited(1), "", "File"), "");
}

TEST_F(TerminationMessageTest, OnlyTheLast4096BytesAreKept) {
  Write(file_, std::string(5000, 'a') + "end");
  std::string m = TerminationMessage(Exited(0), "/dev/termination-log", "File");
  EXPECT_EQ(m.size(), kMaxTerminationMessageLength);
  EXPECT_TRUE(m.ends_with("aend"));
}

TEST_F(TerminationMessageTest, FallbackToLogsOnlyWhenFileEmptyAndExitNonZero) {
  Write(file_, "");
  Write(log_, CriLog({"starting", "boom"}));
  const std::string policy = kTerminationMessageFallbackToLogsOnError;
  EXPECT_EQ(TerminationMessage(Exited(2), "/dev/termination-log", policy), "starting\nboom\n");
  EXPECT_EQ(TerminationMessage(Exited(0), "/dev/termination-log", policy), "");
  EXPECT_EQ(TerminationMessage(Exited(2), "/dev/termination-log", "File"), "");
  cri::ContainerStatus cannot_run = Exited(128);
  cannot_run.reason = "ContainerCannotRun";
  EXPECT_EQ(TerminationMessage(cannot_run, "/dev/termination-log", policy), "");
  // The file wins when the application wrote it.
  Write(file_, "explained");
  EXPECT_EQ(TerminationMessage(Exited(2), "/dev/termination-log", policy), "explained");
  // No file at all (removed): the log still stands in.
  std::filesystem::remove(file_);
  EXPECT_EQ(TerminationMessage(Exited(2), "/dev/termination-log", policy), "starting\nboom\n");
}

TEST_F(TerminationMessageTest, LogTailIsTheLast80LinesAndAtMost2048Bytes) {
  std::vector<std::string> lines;
  for (int i = 0; i < 100; ++i) lines.push_back(absl::StrCat("line ", i));
  Write(log_, CriLog(lines));
  std::string tail = ReadLastStringFromContainerLogs(log_);
  EXPECT_THAT(tail, StartsWith("line 20\n"));
  EXPECT_TRUE(tail.ends_with("line 99\n"));

  std::vector<std::string> long_lines;
  for (int i = 0; i < 30; ++i) long_lines.push_back(std::string(99, 'a' + i % 26));
  Write(log_, CriLog(long_lines));
  tail = ReadLastStringFromContainerLogs(log_);
  EXPECT_EQ(tail.size(), kMaxTerminationMessageLogLength);
  EXPECT_TRUE(tail.ends_with(std::string(99, 'a' + 29 % 26) + "\n"));

  EXPECT_THAT(ReadLastStringFromContainerLogs(tmp_.File("missing.log")),
              HasSubstr("Error on reading termination message from logs"));
}

}  // namespace
}  // namespace cubelet::kuberuntime
