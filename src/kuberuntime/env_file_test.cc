#include "kuberuntime/env_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::kuberuntime {
namespace {

using ::testing::HasSubstr;

TEST(EnvFileTest, ValuesAreSingleQuotedAndLiteral) {
  const std::string file =
      "# settings\n"
      "\n"
      "  CONFIG_1='value1'\n"
      "CONFIG_2='a $HOME \\n b' # trailing comment\n"
      "MULTI='line one\n"
      "line two'\n"
      "SPACED= 'ignored'\n"
      "EMPTY=''\n";
  EXPECT_EQ(*ParseEnvFileValue(file, "CONFIG_1"), "value1");
  EXPECT_EQ(*ParseEnvFileValue(file, "CONFIG_2"), "a $HOME \\n b");
  EXPECT_EQ(*ParseEnvFileValue(file, "MULTI"), "line one\nline two");
  EXPECT_EQ(*ParseEnvFileValue(file, "SPACED"), "") << "KEY= 'v' is the empty string";
  EXPECT_EQ(*ParseEnvFileValue(file, "EMPTY"), "");
  EXPECT_EQ(*ParseEnvFileValue(file, "ABSENT"), "");
  // Windows line ends, as Go's line scanner reads them.
  EXPECT_EQ(*ParseEnvFileValue("A='1'\r\nB='two\r\nlines'\r\n", "B"), "two\nlines");
}

TEST(EnvFileTest, SyntaxErrorsNameTheLine) {
  struct Case {
    const char* content;
    const char* message;
  } cases[] = {
      {"A='1'\nB\n", "line 2: missing '='"},
      {"='1'\n", "line 1: empty variable name"},
      {"A ='1'\n", "line 1: whitespace before '=' is not allowed"},
      {"A=1\n", "line 1: value must be enclosed in single quotes"},
      {"A='1' x\n", "line 1: unexpected content after closing quote"},
      {"A='1\nB='2'\nC\n", "line 2: unexpected content after closing quote"},
      {"A='never closed\n", "starting at line 1: unclosed single quote"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> v = ParseEnvFileValue(c.content, "Z");
    ASSERT_FALSE(v.ok()) << c.content;
    EXPECT_THAT(std::string(v.status().message()), HasSubstr(c.message)) << c.content;
  }
  // The key is found before a later error, as upstream's scanner stops there.
  EXPECT_EQ(*ParseEnvFileValue("A='1'\nbroken\n", "A"), "1");
}

class EnvFileReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        std::filesystem::temp_directory_path() / ("env_file_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "volume" / "sub");
    Write(root_ / "outside.env", "SECRET='host file'\n");
    Write(root_ / "volume" / "sub" / "config.env", "CONFIG_1='value1'\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  static void Write(const std::filesystem::path& p, const std::string& content) {
    std::ofstream(p) << content;
  }
  std::string Volume() const { return (root_ / "volume").string(); }
  std::filesystem::path root_;
};

TEST_F(EnvFileReadTest, ReadsAFileOfTheVolume) {
  EXPECT_EQ(*ReadEnvFileValue(Volume(), "sub/config.env", "CONFIG_1"), "value1");
  absl::StatusOr<std::string> missing = ReadEnvFileValue(Volume(), "nope.env", "A");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("failed to open environment variable file"));
}

// A container owns what is in its emptyDir: its symlinks resolve inside the
// volume, never to the host's files.
TEST_F(EnvFileReadTest, SymlinksStayInsideTheVolume) {
  std::filesystem::create_symlink(root_ / "outside.env", root_ / "volume" / "abs.env");
  std::filesystem::create_symlink("../outside.env", root_ / "volume" / "rel.env");
  std::filesystem::create_symlink("sub/config.env", root_ / "volume" / "inside.env");
  EXPECT_FALSE(ReadEnvFileValue(Volume(), "abs.env", "SECRET").ok());
  EXPECT_FALSE(ReadEnvFileValue(Volume(), "rel.env", "SECRET").ok());
  EXPECT_EQ(*ReadEnvFileValue(Volume(), "inside.env", "CONFIG_1"), "value1");
}

TEST_F(EnvFileReadTest, AFifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((root_ / "volume" / "fifo.env").c_str(), 0600), 0);
  absl::StatusOr<std::string> v = ReadEnvFileValue(Volume(), "fifo.env", "A");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace cubelet::kuberuntime
