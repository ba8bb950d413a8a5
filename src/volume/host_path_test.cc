// CheckHostPathType against real files in a temp dir.
#include "volume/host_path.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::volume {
namespace {

using test_support::ScopedTempDir;
using ::testing::HasSubstr;

mode_t Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class HostPathTest : public ::testing::Test {
 protected:
  HostPathTest() { old_umask_ = ::umask(022); }
  ~HostPathTest() override { ::umask(old_umask_); }

  std::string MakeFile(const std::string& name) {
    std::ofstream(tmp_.File(name)) << "x";
    return tmp_.File(name);
  }

  ScopedTempDir tmp_;
  mode_t old_umask_;
};

TEST_F(HostPathTest, UnsetTypeChecksNothing) {
  EXPECT_TRUE(CheckHostPathType(tmp_.File("missing"), "").ok());
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("missing")));
}

TEST_F(HostPathTest, DirectoryOrCreateMakesParentsWith0755) {
  const std::string dir = tmp_.File("a/b/c");
  ASSERT_TRUE(CheckHostPathType(dir, kHostPathDirectoryOrCreate).ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_EQ(Mode(dir), 0755u);
  EXPECT_EQ(Mode(tmp_.File("a")), 0755u);
  // Existing: fine again; a file there is not.
  EXPECT_TRUE(CheckHostPathType(dir, kHostPathDirectoryOrCreate).ok());
  absl::Status s = CheckHostPathType(MakeFile("f"), kHostPathDirectoryOrCreate);
  EXPECT_THAT(s.message(),
              HasSubstr("hostPath type check failed: " + tmp_.File("f") + " is not a directory"));
}

TEST_F(HostPathTest, DirectoryMustExistAndBeADirectory) {
  EXPECT_TRUE(CheckHostPathType(tmp_.path(), kHostPathDirectory).ok());
  absl::Status missing = CheckHostPathType(tmp_.File("nope"), kHostPathDirectory);
  EXPECT_EQ(missing.message(), "path " + tmp_.File("nope") + " does not exist");
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("nope")));
  EXPECT_FALSE(CheckHostPathType(MakeFile("f"), kHostPathDirectory).ok());
}

TEST_F(HostPathTest, FileOrCreateMakesAnEmptyFileButNotItsParent) {
  const std::string file = tmp_.File("new");
  ASSERT_TRUE(CheckHostPathType(file, kHostPathFileOrCreate).ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(file));
  EXPECT_EQ(std::filesystem::file_size(file), 0u);
  EXPECT_EQ(Mode(file), 0644u);
  EXPECT_FALSE(CheckHostPathType(tmp_.File("no/parent"), kHostPathFileOrCreate).ok());
  EXPECT_FALSE(std::filesystem::exists(tmp_.File("no")));
  absl::Status dir = CheckHostPathType(tmp_.path(), kHostPathFileOrCreate);
  EXPECT_THAT(dir.message(), HasSubstr("is not a file"));
}

TEST_F(HostPathTest, FileSocketAndDevicesAreChecked) {
  const std::string file = MakeFile("f");
  EXPECT_TRUE(CheckHostPathType(file, kHostPathFile).ok());
  EXPECT_FALSE(CheckHostPathType(tmp_.path(), kHostPathFile).ok());
  EXPECT_FALSE(CheckHostPathType(tmp_.File("nope"), kHostPathFile).ok());

  const std::string sock = tmp_.File("s");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock.size(), sizeof(addr.sun_path));
  sock.copy(addr.sun_path, sock.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_TRUE(CheckHostPathType(sock, kHostPathSocket).ok());
  EXPECT_THAT(CheckHostPathType(file, kHostPathSocket).message(), HasSubstr("is not a socket"));
  ::close(fd);

  EXPECT_TRUE(CheckHostPathType("/dev/null", kHostPathCharDevice).ok());
  EXPECT_THAT(CheckHostPathType("/dev/null", kHostPathBlockDevice).message(),
              HasSubstr("/dev/null is not a block device"));
  EXPECT_FALSE(CheckHostPathType(file, kHostPathCharDevice).ok());
}

TEST_F(HostPathTest, UnknownTypeIsInvalid) {
  absl::Status s = CheckHostPathType(tmp_.path(), "Pipe");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "Pipe is an invalid volume type");
}

}  // namespace
}  // namespace cubelet::volume
