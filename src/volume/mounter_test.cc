// ParseMountInfo on sample /proc/self/mountinfo text.
#include "volume/mounter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

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
          MountPoint{.path = "/var/lib/x", .fs_type = "tmpfs", .source = "tmpfs"},
          MountPoint{.path = "/mnt/with space", .fs_type = "ext4", .source = "/dev/sda 1"}));
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
