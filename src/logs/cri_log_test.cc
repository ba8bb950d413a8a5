#include "logs/cri_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "logs/testing/log_files.h"

namespace cubelet::logs {
namespace {

using testing::Rec;
using testing::TempDir;
using testing::WriteFile;

TEST(ParseCriLogLineTest, FullAndPartialRecords) {
  absl::StatusOr<CriLogRecord> r =
      ParseCriLogLine("2016-10-06T00:17:09.669794202Z stdout F hello world");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->timestamp, "2016-10-06T00:17:09.669794202Z");
  EXPECT_EQ(r->stream, "stdout");
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(r->content, "hello world");

  r = ParseCriLogLine("2016-10-06T00:17:09.669794202+02:00 stderr P part ");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream, "stderr");
  EXPECT_TRUE(r->partial);
  EXPECT_EQ(r->content, "part ");

  r = ParseCriLogLine("2016-10-06T00:17:09Z stdout F ");  // an empty line
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->content, "");

  r = ParseCriLogLine("2016-10-06T00:17:09.1Z stdout F:extra content");  // more tags
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->partial);
  EXPECT_EQ(r->content, "content");
}

TEST(ParseCriLogLineTest, RejectsMalformedLines) {
  for (const char* line : {
           "",
           "no-spaces",
           "notatime stdout F x",
           "2016-10-06T00:17:09Z stdin F x",
           "2016-10-06T00:17:09Z stdout",
           "2016-10-06T00:17:09Z stdout F",
           "2016-10-06T00:17:09Z stdout X x",
       }) {
    EXPECT_FALSE(ParseCriLogLine(line).ok()) << line;
  }
}

TEST(FormatLogTimestampTest, NineFractionalDigitsZoneKept) {
  EXPECT_EQ(FormatLogTimestamp("2024-01-02T03:04:05.123456789Z"), "2024-01-02T03:04:05.123456789Z");
  EXPECT_EQ(FormatLogTimestamp("2024-01-02T03:04:05.5Z"), "2024-01-02T03:04:05.500000000Z");
  EXPECT_EQ(FormatLogTimestamp("2024-01-02T03:04:05Z"), "2024-01-02T03:04:05.000000000Z");
  EXPECT_EQ(FormatLogTimestamp("2024-01-02T03:04:05.25+02:00"),
            "2024-01-02T03:04:05.250000000+02:00");
  EXPECT_EQ(FormatLogTimestamp("2024-01-02T03:04:05.1234567891Z"),
            "2024-01-02T03:04:05.123456789Z");
}

class FindTailStartTest : public ::testing::Test {
 protected:
  // Writes `content` and returns FindTailStart for n lines.
  int64_t Tail(const std::string& content, int64_t n) {
    WriteFile(dir_.File("0.log"), content);
    int fd = ::open(dir_.File("0.log").c_str(), O_RDONLY);
    EXPECT_GE(fd, 0);
    absl::StatusOr<int64_t> start = FindTailStart(fd, static_cast<int64_t>(content.size()), n);
    ::close(fd);
    EXPECT_TRUE(start.ok()) << start.status();
    return start.value_or(-1);
  }

  TempDir dir_;
};

TEST_F(FindTailStartTest, CountsFullLines) {
  const std::string a = Rec("a"), b = Rec("b"), c = Rec("c");
  const std::string content = a + b + c;
  EXPECT_EQ(Tail(content, 0), static_cast<int64_t>(content.size()));
  EXPECT_EQ(Tail(content, 1), static_cast<int64_t>((a + b).size()));
  EXPECT_EQ(Tail(content, 2), static_cast<int64_t>(a.size()));
  EXPECT_EQ(Tail(content, 3), 0);
  EXPECT_EQ(Tail(content, 100), 0);
  EXPECT_EQ(Tail("", 1), 0);
}

TEST_F(FindTailStartTest, PartialRecordsBelongToTheirLine) {
  // Lines: "a", "b1b2b3" (P P F), then "c1c2" still being written (P P).
  const std::string a = Rec("a");
  const std::string b = Rec("b1", "P") + Rec("b2", "P") + Rec("b3");
  const std::string c = Rec("c1", "P") + Rec("c2", "P");
  EXPECT_EQ(Tail(a + b + c, 1), static_cast<int64_t>((a + b).size()));
  EXPECT_EQ(Tail(a + b + c, 2), static_cast<int64_t>(a.size()));
  EXPECT_EQ(Tail(a + b, 1), static_cast<int64_t>(a.size()));
}

TEST_F(FindTailStartTest, IgnoresAnIncompleteLastRecord) {
  const std::string a = Rec("a"), b = Rec("b");
  const std::string half = "2024-01-02T03:04:05.1Z stdout F no newline yet";
  EXPECT_EQ(Tail(a + b + half, 0), static_cast<int64_t>((a + b).size()));
  EXPECT_EQ(Tail(a + b + half, 1), static_cast<int64_t>(a.size()));
  EXPECT_EQ(Tail(half, 1), 0);
}

TEST_F(FindTailStartTest, MalformedRecordsDoNotEndLines) {
  const std::string a = Rec("a"), junk = "junk\n", b = Rec("b");
  EXPECT_EQ(Tail(a + junk + b, 1), static_cast<int64_t>(a.size()));
}

TEST_F(FindTailStartTest, LargeFileAcrossBlocks) {
  // ~200 KiB of records with lines longer than the header lookahead, so the
  // scan crosses blocks and records span block edges.
  std::string content;
  std::vector<int64_t> starts;
  for (int i = 0; i < 300; ++i) {
    starts.push_back(static_cast<int64_t>(content.size()));
    content += Rec(std::string(100 + i * 3, 'x') + std::to_string(i), "P");
    content += Rec(std::to_string(i));
  }
  EXPECT_EQ(Tail(content, 1), starts[299]);
  EXPECT_EQ(Tail(content, 10), starts[290]);
  EXPECT_EQ(Tail(content, 299), starts[1]);
  EXPECT_EQ(Tail(content, 300), 0);
}

TEST(CriLogWriterTest, JoinsPartialsAndAddsNewlines) {
  CriLogWriter w({});
  std::string out;
  EXPECT_TRUE(w.AppendLine("2024-01-02T03:04:05Z stdout P hel", &out));
  EXPECT_TRUE(w.AppendLine("2024-01-02T03:04:06Z stdout F lo", &out));
  EXPECT_FALSE(w.AppendLine("garbage", &out));
  EXPECT_TRUE(w.AppendLine("2024-01-02T03:04:07Z stderr F world", &out));
  EXPECT_EQ(out, "hello\nworld\n");
}

TEST(CriLogWriterTest, TimestampsPrefixEachLogicalLine) {
  CriLogWriter w({.timestamps = true});
  std::string out;
  w.AppendLine("2024-01-02T03:04:05.5Z stdout P hel", &out);
  w.AppendLine("2024-01-02T03:04:06Z stdout F lo", &out);
  w.AppendLine("2024-01-02T03:04:07.123456789Z stdout F world", &out);
  EXPECT_EQ(out,
            "2024-01-02T03:04:05.500000000Z hello\n"
            "2024-01-02T03:04:07.123456789Z world\n");
}

TEST(CriLogWriterTest, SinceLeavesOutOlderRecords) {
  absl::Time since;
  std::string err;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, "2024-01-02T03:04:06Z", &since, &err));
  CriLogWriter w({.since = since});
  std::string out;
  EXPECT_TRUE(w.AppendLine("2024-01-02T03:04:05.999Z stdout F old", &out));
  EXPECT_TRUE(w.AppendLine("2024-01-02T03:04:06Z stdout F at", &out));
  EXPECT_TRUE(w.AppendLine("2024-01-02T04:04:06+01:00 stdout F same-instant", &out));
  EXPECT_TRUE(w.AppendLine("2024-01-02T03:05:00Z stderr F new", &out));
  EXPECT_EQ(out, "at\nsame-instant\nnew\n");
}

TEST(CriLogWriterTest, LimitBytesCutsTheOutput) {
  CriLogWriter w({.limit_bytes = 8});
  std::string out;
  w.AppendLine("2024-01-02T03:04:05Z stdout F hello", &out);
  EXPECT_FALSE(w.limit_reached());
  w.AppendLine("2024-01-02T03:04:05Z stdout F world", &out);
  EXPECT_TRUE(w.limit_reached());
  w.AppendLine("2024-01-02T03:04:05Z stdout F more", &out);
  EXPECT_EQ(out, "hello\nwo");
  EXPECT_EQ(w.bytes_written(), 8);
}

}  // namespace
}  // namespace cubelet::logs
