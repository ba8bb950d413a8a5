// ParseMountInfo on sample /proc/self/mountinfo text.
#include "volume/mounter.h"

#include <sys/mount.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::volume {
namespace {

using ::testing::ElementsAre;

TEST(ParseMountInfoTest, ReadsMountPointTypeAndSourceAcrossOptionalFields) {
  const char* text =
      "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
      "40 27 0:35 / /var/lib/x rw,relatime shared:5 master:1 - tmpfs tmpfs rw,size=1024k\n"
      "41 27 0:36 / /mnt/with\\040space rw - ext4 /dev/sda\\0401 rw\n"
      "garbage line\n"
      "\n";
  EXPECT_THAT(
      ParseMountInfo(text),
      ElementsAre(
          MountPoint{.path = "/proc", .fs_type = "proc", .source = "proc"},
          MountPoint{.path = "/var/lib/x", .fs_type = "tmpfs", .source = "tmpfs", .shared = true},
          MountPoint{.path = "/mnt/with space", .fs_type = "ext4", .source = "/dev/sda 1"}));
}

TEST(IsOnSharedMountTest, TheInnermostMountHoldingThePathDecides) {
  const std::vector<MountPoint> mounts = {{.path = "/", .shared = false},
                                          {.path = "/var/lib", .shared = true},
                                          {.path = "/var/lib/private", .shared = false}};
  EXPECT_FALSE(IsOnSharedMount("/tmp/x", mounts));
  EXPECT_TRUE(IsOnSharedMount("/var/lib", mounts));
  EXPECT_TRUE(IsOnSharedMount("/var/lib/cubelet", mounts));
  EXPECT_FALSE(IsOnSharedMount("/var/lib/private/x", mounts));
  EXPECT_TRUE(IsOnSharedMount("/var/lib/privatex", mounts)) << "a prefix, not a parent";
  // Mounted over later: the last one counts.
  EXPECT_FALSE(IsOnSharedMount("/var/lib/cubelet",
                               {{.path = "/var/lib", .shared = true}, {.path = "/var/lib"}}));
}

TEST(MakeRSharedTest, LeavesThePathOnASharedMount) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (mount(2))";
  test_support::ScopedTempDir dir("cubelet-rshared");
  absl::StatusOr<std::vector<MountPoint>> before = SystemMounter()->List();
  ASSERT_TRUE(before.ok());
  ASSERT_TRUE(MakeRShared(dir.path()).ok());
  absl::StatusOr<std::vector<MountPoint>> after = SystemMounter()->List();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(IsOnSharedMount(dir.path(), *after));
  ASSERT_TRUE(MakeRShared(dir.path()).ok()) << "idempotent";
  absl::StatusOr<std::vector<MountPoint>> again = SystemMounter()->List();
  EXPECT_EQ(again->size(), after->size()) << "no second bind mount";
  // The bind mount, when one was needed, would keep the directory busy.
  if (after->size() > before->size()) {
    EXPECT_EQ(umount2(dir.path().c_str(), MNT_DETACH), 0);
  }
}

TEST(ParseMountInfoTest, SystemMounterListsRoot) {
  absl::StatusOr<std::vector<MountPoint>> mounts = SystemMounter()->List();
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  bool root = false;
  for (const MountPoint& m : *mounts) root = root || m.path == "/";
  EXPECT_TRUE(root);
}

}  // namespace
}  // namespace cubelet::volume
