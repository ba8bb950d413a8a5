#include "server/pod_list_renderer.h"

#include <vector>

#include "api/json.h"
#include "gtest/gtest.h"

namespace cubelet::server {
namespace {

api::Pod MakePod(const std::string& name) {
  api::Pod pod;
  pod.metadata.name = name;
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = "uid-" + name;
  pod.spec.containers.push_back(api::Container{.name = "app", .image = "busybox"});
  pod.status.phase = "Pending";
  return pod;
}

TEST(PodListRendererTest, RendersWhatPodListJsonDoesAndOnlyWhatChanged) {
  PodListRenderer renderer;
  std::vector<api::Pod> pods = {MakePod("a"), MakePod("b"), MakePod("c")};
  EXPECT_EQ(renderer.Render(pods), api::PodListJson(pods));
  EXPECT_EQ(renderer.last_rendered(), 3u);

  EXPECT_EQ(renderer.Render(pods), api::PodListJson(pods));
  EXPECT_EQ(renderer.last_rendered(), 0u);

  pods[1].status.phase = "Running";
  pods.erase(pods.begin());  // a goes
  pods.push_back(MakePod("d"));
  EXPECT_EQ(renderer.Render(pods), api::PodListJson(pods));
  EXPECT_EQ(renderer.last_rendered(), 2u);  // b changed, d is new

  // a comes back: it was forgotten, so it is rendered afresh.
  pods.push_back(MakePod("a"));
  EXPECT_EQ(renderer.Render(pods), api::PodListJson(pods));
  EXPECT_EQ(renderer.last_rendered(), 1u);
}

TEST(PodListRendererTest, EmptyListsAndPodsWithoutAUid) {
  PodListRenderer renderer;
  EXPECT_EQ(renderer.Render({}), api::PodListJson({}));
  api::Pod anonymous = MakePod("x");
  anonymous.metadata.uid.clear();
  std::vector<api::Pod> pods = {anonymous, MakePod("y"), MakePod("y")};
  EXPECT_EQ(renderer.Render(pods), api::PodListJson(pods));
  EXPECT_EQ(renderer.Render(pods), api::PodListJson(pods));
  EXPECT_EQ(renderer.last_rendered(), 2u);  // the uid-less one and the second y
}

}  // namespace
}  // namespace cubelet::server
