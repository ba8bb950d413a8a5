#include "volume/subpath.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::volume {
namespace {

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(SubPathTest, MissingSubPathGetsTheVolumesModeBitsIncluded) {
  test_support::ScopedTempDir root;
  const std::string volume = root.File("vol");
  ASSERT_EQ(mkdir(volume.c_str(), 0700), 0);
  ASSERT_EQ(chmod(volume.c_str(), 03777), 0);  // sticky + setgid + 0777, as a tmpfs with fsGroup
  ASSERT_TRUE(MakeMissingSubPath(volume, "a/b").ok());
  EXPECT_EQ(ModeOf(volume + "/a"), 03777u);
  EXPECT_EQ(ModeOf(volume + "/a/b"), 03777u);
  // Present already: left as it is.
  ASSERT_EQ(chmod((volume + "/a/b").c_str(), 0700), 0);
  ASSERT_TRUE(MakeMissingSubPath(volume, "a/b").ok());
  EXPECT_EQ(ModeOf(volume + "/a/b"), 0700u);
}

TEST(SubPathTest, ASymlinkOnTheWayIsRefusedAndNothingIsCreatedOutside) {
  test_support::ScopedTempDir root;
  const std::string volume = root.File("vol");
  const std::string outside = root.File("outside");
  ASSERT_EQ(mkdir(volume.c_str(), 0777), 0);
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  ASSERT_EQ(symlink(outside.c_str(), (volume + "/escape").c_str()), 0);
  absl::Status s = MakeMissingSubPath(volume, "escape/new");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_FALSE(std::filesystem::exists(outside + "/new"));
}

TEST(SubPathTest, NoVolumeDirectoryNothingToDo) {
  test_support::ScopedTempDir root;
  EXPECT_TRUE(MakeMissingSubPath(root.File("absent"), "x").ok());
  EXPECT_FALSE(std::filesystem::exists(root.File("absent")));
}

}  // namespace
}  // namespace cubelet::volume
