#include "logs/container_logs.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "logs/testing/log_files.h"

namespace cubelet::logs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Rec;
using testing::TempDir;
using testing::WriteFile;

using Query = std::multimap<std::string, std::string>;

TEST(ParseLogOptionsTest, Defaults) {
  absl::StatusOr<LogOptions> o = ParseLogOptions({});
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->tail_lines.has_value());
  EXPECT_FALSE(o->limit_bytes.has_value());
  EXPECT_FALSE(o->follow);
  EXPECT_FALSE(o->previous);
  EXPECT_FALSE(o->timestamps);
}

TEST(ParseLogOptionsTest, AllOptions) {
  absl::StatusOr<LogOptions> o = ParseLogOptions(Query{{"tailLines", "10"},
                                                       {"limitBytes", "100"},
                                                       {"follow", "true"},
                                                       {"previous", "1"},
                                                       {"timestamps", "TRUE"},
                                                       {"other", "x"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->tail_lines, 10);
  EXPECT_EQ(o->limit_bytes, 100);
  EXPECT_TRUE(o->follow);
  EXPECT_TRUE(o->previous);
  EXPECT_TRUE(o->timestamps);

  o = ParseLogOptions(Query{{"tailLines", "0"}, {"follow", "false"}, {"previous", ""}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->tail_lines, 0);
  EXPECT_FALSE(o->follow);
  EXPECT_TRUE(o->previous);
}

TEST(ParseLogOptionsTest, BadValues) {
  for (const Query& q :
       {Query{{"tailLines", "-1"}}, Query{{"tailLines", "abc"}}, Query{{"tailLines", "1.5"}},
        Query{{"limitBytes", "0"}}, Query{{"follow", "yes"}}, Query{{"timestamps", "2"}}}) {
    absl::StatusOr<LogOptions> o = ParseLogOptions(q);
    ASSERT_FALSE(o.ok()) << q.begin()->first << "=" << q.begin()->second;
    EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(o.status().message(), HasSubstr(q.begin()->first));
  }
}

TEST(ParseLogOptionsTest, SinceSecondsOrSinceTime) {
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  absl::StatusOr<LogOptions> o = ParseLogOptions(Query{{"sinceSeconds", "30"}}, now);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->since, now - absl::Seconds(30));
  o = ParseLogOptions(Query{{"sinceTime", "2023-11-14T22:13:00Z"}}, now);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->since, absl::FromUnixSeconds(1'699'999'980));
  EXPECT_FALSE(ParseLogOptions(Query{{"sinceSeconds", "0"}}, now).ok());
  EXPECT_FALSE(ParseLogOptions(Query{{"sinceTime", "yesterday"}}, now).ok());
  EXPECT_EQ(
      ParseLogOptions(Query{{"sinceSeconds", "1"}, {"sinceTime", "2023-11-14T22:13:00Z"}}, now)
          .status()
          .message(),
      "at most one of sinceTime or sinceSeconds may be specified");
}

TEST(ContainerLogDirTest, KubeletLayout) {
  api::Pod pod;
  pod.metadata.namespace_ = "kube-system";
  pod.metadata.name = "web";
  pod.metadata.uid = "1234";
  EXPECT_EQ(ContainerLogDir("/var/log/pods", pod, "nginx"),
            "/var/log/pods/kube-system_web_1234/nginx");
}

TEST(ListLogNumbersTest, LargestFirstOnlyNumberedLogs) {
  TempDir dir;
  for (const char* name : {"0.log", "2.log", "10.log", "1.log.20240102-030405", "1.log.gz", "x.log",
                           ".log", "3.txt"}) {
    WriteFile(dir.File(name), "");
  }
  EXPECT_THAT(ListLogNumbers(dir.path()), ElementsAre(10, 2, 0));
  EXPECT_THAT(ListLogNumbers(dir.File("missing")), IsEmpty());
}

// Reads everything available now.
std::string ReadAll(LogFileReader& r) {
  std::string out;
  while (true) {
    absl::StatusOr<size_t> n = r.Read(&out, 7);  // small reads: records span reads
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) return out;
  }
}

TEST(LogFileReaderTest, MissingFileIsNotFound) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<LogFileReader>> r = LogFileReader::Open(dir.File("0.log"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

TEST(LogFileReaderTest, WholeFileAndTail) {
  TempDir dir;
  WriteFile(dir.File("0.log"), Rec("one") + Rec("tw", "P") + Rec("o") + Rec("three"));
  auto all = LogFileReader::Open(dir.File("0.log"), {});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(ReadAll(**all), "one\ntwo\nthree\n");

  auto tail = LogFileReader::Open(dir.File("0.log"), {.tail_lines = 2});
  ASSERT_TRUE(tail.ok()) << tail.status();
  EXPECT_EQ(ReadAll(**tail), "two\nthree\n");
}

TEST(LogFileReaderTest, WithoutFollowStopsAtTheSizeWhenOpened) {
  TempDir dir;
  WriteFile(dir.File("0.log"), Rec("one"));
  auto r = LogFileReader::Open(dir.File("0.log"), {});
  ASSERT_TRUE(r.ok());
  WriteFile(dir.File("0.log"), Rec("two"), /*append=*/true);
  EXPECT_EQ(ReadAll(**r), "one\n");
}

TEST(LogFileReaderTest, FollowSeesAppendedRecordsOnceComplete) {
  TempDir dir;
  WriteFile(dir.File("0.log"), Rec("one"));
  auto r = LogFileReader::Open(dir.File("0.log"), {.tail_lines = 0, .follow = true});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ReadAll(**r), "");
  std::string two = Rec("two");
  WriteFile(dir.File("0.log"), two.substr(0, 10), true);  // half a record
  EXPECT_EQ(ReadAll(**r), "");
  WriteFile(dir.File("0.log"), two.substr(10), true);
  EXPECT_EQ(ReadAll(**r), "two\n");
  EXPECT_FALSE((*r)->ReopenIfReplaced());
}

TEST(LogFileReaderTest, FollowAcrossRotation) {
  TempDir dir;
  WriteFile(dir.File("0.log"), Rec("old"));
  auto r = LogFileReader::Open(dir.File("0.log"), {.follow = true});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ReadAll(**r), "old\n");
  // The kubelet's rotation: rename, then the runtime reopens the path.
  std::filesystem::rename(dir.File("0.log"), dir.File("0.log.20240102-030405"));
  EXPECT_FALSE((*r)->ReopenIfReplaced());  // no new file yet
  WriteFile(dir.File("0.log"), Rec("new"));
  EXPECT_TRUE((*r)->ReopenIfReplaced());
  EXPECT_EQ(ReadAll(**r), "new\n");

  // Truncation in place (copytruncate) starts over too.
  WriteFile(dir.File("0.log"), Rec("x"));
  EXPECT_TRUE((*r)->ReopenIfReplaced());
  EXPECT_EQ(ReadAll(**r), "x\n");
}

TEST(LogFileReaderTest, LimitBytes) {
  TempDir dir;
  WriteFile(dir.File("0.log"), Rec("hello") + Rec("world"));
  auto r = LogFileReader::Open(dir.File("0.log"), {.limit_bytes = 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ReadAll(**r), "hel");
  EXPECT_TRUE((*r)->limit_reached());
}

}  // namespace
}  // namespace cubelet::logs
