#include "pod/pod_manager.h"

#include <memory>

#include "gtest/gtest.h"

namespace cubelet::pod {
namespace {

api::PodPtr MakePod(const std::string& uid, const std::string& image = "busybox") {
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.uid = uid;
  pod->metadata.name = "p-" + uid;
  pod->spec.containers.push_back(api::Container{.name = "c", .image = image});
  return pod;
}

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(PodManagerTest, FirstSightIsKeptAcrossUpdatesAndReAdds) {
  PodManager pm;
  pm.AddPod(MakePod("a"), kT0);
  pm.UpdatePod(MakePod("a", "nginx"));
  pm.AddPod(MakePod("a"), kT0 + absl::Seconds(5));
  EXPECT_EQ(pm.FirstSeen("a"), kT0);
  EXPECT_EQ(pm.NumPods(), 1u);
  EXPECT_EQ(pm.FirstSeen("b"), std::nullopt);
}

TEST(PodManagerTest, UpdateReplacesTheSpec) {
  PodManager pm;
  pm.AddPod(MakePod("a"), kT0);
  pm.UpdatePod(MakePod("a", "nginx"));
  ASSERT_NE(pm.GetPodByUID("a"), nullptr);
  EXPECT_EQ(pm.GetPodByUID("a")->spec.containers[0].image, "nginx");
  EXPECT_EQ(pm.GetPodByUID("zzz"), nullptr);
}

TEST(PodManagerTest, StartIsMeasuredOnceAndOnlyForSeenPods) {
  PodManager pm;
  EXPECT_EQ(pm.MarkStarted("a"), std::nullopt) << "never seen";
  pm.AddPod(MakePod("a"), kT0);
  EXPECT_EQ(pm.MarkStarted("a"), kT0);
  EXPECT_EQ(pm.MarkStarted("a"), std::nullopt);
  pm.RemovePod("a");
  pm.AddPod(MakePod("a"), kT0 + absl::Seconds(1));
  EXPECT_EQ(pm.MarkStarted("a"), kT0) << "the start mark goes with the pod, first sight stays";
  pm.Forget("a");
  EXPECT_EQ(pm.FirstSeen("a"), std::nullopt);
}

TEST(PodManagerTest, RemovingARejectedPodSaysItNeverRan) {
  PodManager pm;
  pm.AddPod(MakePod("a"), kT0);
  pm.AddPod(MakePod("b"), kT0);
  pm.MarkRejected("a");
  EXPECT_TRUE(pm.IsRejected("a"));
  EXPECT_FALSE(pm.IsRejected("b"));
  EXPECT_TRUE(pm.RemovePod("a"));
  EXPECT_FALSE(pm.IsRejected("a"));
  EXPECT_FALSE(pm.RemovePod("b"));
  EXPECT_TRUE(pm.GetPods().empty());
}

}  // namespace
}  // namespace cubelet::pod
