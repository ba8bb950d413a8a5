#include "kuberuntime/pod_cgroup.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace cubelet::kuberuntime {
namespace {

namespace fs = std::filesystem;

class PodCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("cubelet-cgroup-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST(PodCgroupParentTest, JoinsRootAndUid) {
  EXPECT_EQ(PodCgroupParent("/cubelet", "abc"), "/cubelet/podabc");
  EXPECT_EQ(PodCgroupParent("/cubelet/", "abc"), "/cubelet/podabc");
}

TEST_F(PodCgroupTest, RemovesThePodDirectoryFromEveryHierarchy) {
  for (const char* h : {"cpu", "memory", "pids"})
    fs::create_directories(root_ / h / "cubelet" / "podu1");
  fs::create_directories(root_ / "memory" / "cubelet" / "podu2");
  ASSERT_TRUE(RemovePodCgroup("/cubelet", "u1", root_.string()).ok());
  for (const char* h : {"cpu", "memory", "pids"}) {
    EXPECT_FALSE(fs::exists(root_ / h / "cubelet" / "podu1")) << h;
    EXPECT_TRUE(fs::exists(root_ / h / "cubelet")) << "the root cgroup stays";
  }
  EXPECT_TRUE(fs::exists(root_ / "memory" / "cubelet" / "podu2")) << "other pods untouched";
}

TEST_F(PodCgroupTest, MissingDirectoriesAreFine) {
  fs::create_directories(root_ / "cpu");
  EXPECT_TRUE(RemovePodCgroup("/cubelet", "gone", root_.string()).ok());
}

TEST_F(PodCgroupTest, BusyCgroupIsAnErrorNamingIt) {
  // A non-empty directory stands in for a cgroup that still holds processes.
  fs::create_directories(root_ / "cpu" / "cubelet" / "podbusy");
  std::ofstream(root_ / "cpu" / "cubelet" / "podbusy" / "tasks") << "1\n";
  absl::Status s = RemovePodCgroup("/cubelet", "busy", root_.string());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("cpu/cubelet/podbusy"), std::string::npos) << s;
  EXPECT_TRUE(fs::exists(root_ / "cpu" / "cubelet" / "podbusy"));
}

TEST_F(PodCgroupTest, ListsPodCgroupsOfEveryHierarchyOnce) {
  fs::create_directories(root_ / "cubelet" / "podv2");  // unified tree
  fs::create_directories(root_ / "cpu" / "cubelet" / "podu1");
  fs::create_directories(root_ / "memory" / "cubelet" / "podu1");
  fs::create_directories(root_ / "memory" / "cubelet" / "not-a-pod");
  fs::create_directories(root_ / "memory" / "other" / "podx");
  EXPECT_EQ(ListPodCgroups("/cubelet", root_.string()), (std::vector<std::string>{"u1", "v2"}));
}

TEST_F(PodCgroupTest, RemovesOnlyOrphansAndKeepsBusyOnes) {
  for (const char* uid : {"podkeep", "podgone", "podbusy"})
    fs::create_directories(root_ / "cpu" / "cubelet" / uid);
  std::ofstream(root_ / "cpu" / "cubelet" / "podbusy" / "tasks") << "1\n";
  std::vector<std::string> removed = RemoveOrphanedPodCgroups("/cubelet", {"keep"}, root_.string());
  EXPECT_EQ(removed, std::vector<std::string>{"gone"});
  EXPECT_TRUE(fs::exists(root_ / "cpu" / "cubelet" / "podkeep"));
  EXPECT_FALSE(fs::exists(root_ / "cpu" / "cubelet" / "podgone"));
  EXPECT_TRUE(fs::exists(root_ / "cpu" / "cubelet" / "podbusy")) << "tried again next pass";
}

}  // namespace
}  // namespace cubelet::kuberuntime
