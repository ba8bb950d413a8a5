#include "status/qos.h"

#include "gtest/gtest.h"

namespace cubelet::status {
namespace {

api::Pod PodWith(std::map<std::string, std::string> requests,
                 std::map<std::string, std::string> limits) {
  api::Pod pod;
  api::Container c;
  c.name = "app";
  c.resources.requests = std::move(requests);
  c.resources.limits = std::move(limits);
  pod.spec.containers.push_back(c);
  return pod;
}

// Upstream pkg/apis/core/v1/helper/qos TestComputePodQOS, the cases a node meets.
TEST(GetPodQOSTest, Classes) {
  EXPECT_EQ(GetPodQOS(PodWith({}, {})), kQOSBestEffort);
  EXPECT_EQ(GetPodQOS(PodWith({{"cpu", "100m"}, {"memory", "64Mi"}},
                              {{"cpu", "100m"}, {"memory", "64Mi"}})),
            kQOSGuaranteed);
  EXPECT_EQ(GetPodQOS(PodWith({{"cpu", "0.1"}, {"memory", "64Mi"}},
                              {{"cpu", "100m"}, {"memory", "67108864"}})),
            kQOSGuaranteed)
      << "equal quantities written differently";
  EXPECT_EQ(GetPodQOS(PodWith({{"cpu", "100m"}}, {{"cpu", "200m"}, {"memory", "64Mi"}})),
            kQOSBurstable);
  EXPECT_EQ(GetPodQOS(PodWith({{"cpu", "100m"}, {"memory", "64Mi"}}, {{"cpu", "100m"}})),
            kQOSBurstable)
      << "memory not limited";
  EXPECT_EQ(GetPodQOS(PodWith({{"ephemeral-storage", "1Gi"}}, {})), kQOSBestEffort)
      << "only cpu and memory count";
  EXPECT_EQ(GetPodQOS(PodWith({{"cpu", "0"}}, {})), kQOSBestEffort) << "zero is no request";
}

TEST(GetPodQOSTest, EveryContainerMustBeGuaranteed) {
  api::Pod pod = PodWith({{"cpu", "1"}, {"memory", "1Gi"}}, {{"cpu", "1"}, {"memory", "1Gi"}});
  EXPECT_EQ(GetPodQOS(pod), kQOSGuaranteed);
  api::Container init;
  init.name = "init";
  pod.spec.init_containers.push_back(init);
  EXPECT_EQ(GetPodQOS(pod), kQOSBurstable) << "an unlimited init container";
}

TEST(GetPodQOSTest, PodLevelResourcesDecide) {
  api::Pod pod = PodWith({}, {});
  pod.spec.resources = api::ResourceRequirements{.limits = {{"cpu", "1"}, {"memory", "1Gi"}},
                                                 .requests = {{"cpu", "1"}, {"memory", "1Gi"}}};
  EXPECT_EQ(GetPodQOS(pod), kQOSGuaranteed);
}

}  // namespace
}  // namespace cubelet::status
