#include "client/testing/fake_api_client.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::client::testing {
namespace {

using nlohmann::json;

TEST(FakeApiClientTest, RespondersAndRecording) {
  FakeApiClient api;
  api.OnReturn(Verb::kGet, "/api/v1/nodes/", json{{"kind", "Node"}});
  api.OnReturn(Verb::kGet, "/api/v1/nodes/gone",
               ApiError(404, "NotFound", "nodes \"gone\" not found"));
  api.On(Verb::kPost, "/api/v1/nodes",
         [](const Request& r) -> absl::StatusOr<json> { return r.body; });

  EXPECT_EQ(api.Call({.path = "/api/v1/nodes/n1"}).value(), json({{"kind", "Node"}}));
  EXPECT_TRUE(client::IsNotFound(api.Call({.path = "/api/v1/nodes/gone"}).status()));
  EXPECT_EQ(api.Call({.verb = Verb::kPost, .path = "/api/v1/nodes", .body = {{"a", 1}}}).value(),
            json({{"a", 1}}));
  absl::StatusOr<json> unanswered = api.Call({.verb = Verb::kDelete, .path = "/x"});
  EXPECT_EQ(unanswered.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(unanswered.status().message()), ::testing::HasSubstr("DELETE /x"));

  EXPECT_EQ(api.Requests().size(), 4u);
  EXPECT_EQ(api.RequestsTo(Verb::kGet, "/api/v1/nodes/").size(), 2u);
  EXPECT_TRUE(api.AwaitRequests(4, absl::ZeroDuration()));
  api.ClearRequests();
  EXPECT_TRUE(api.Requests().empty());
}

TEST(FakeApiClientTest, WatchDeliversThenCloses) {
  FakeApiClient api;
  std::vector<std::string> seen;
  absl::Status result;
  std::thread watcher([&] {
    result = api.Watch(
        {.path = "/api/v1/pods?watch=true"}, [&](const WatchEvent& e) { seen.push_back(e.type); },
        nullptr);
  });
  ASSERT_TRUE(api.AwaitWatch("/api/v1/pods").has_value());
  EXPECT_EQ(api.OpenWatches(), 1u);
  EXPECT_EQ(api.PushEvent({"ADDED", json::object()}, "/api/v1/nodes"), 0u);
  EXPECT_EQ(api.PushEvent({"ADDED", json::object()}), 1u);
  EXPECT_EQ(api.PushEvent({"DELETED", json::object()}), 1u);
  EXPECT_EQ(api.CloseWatches(ApiError(410, "Expired", "too old")), 1u);
  watcher.join();
  EXPECT_THAT(seen, ::testing::ElementsAre("ADDED", "DELETED"));
  EXPECT_TRUE(client::IsGone(result));
  EXPECT_EQ(api.OpenWatches(), 0u);
  EXPECT_EQ(api.WatchesStarted(), 1u);
  EXPECT_TRUE(api.AwaitDelivered());
  EXPECT_FALSE(api.AwaitWatch("", absl::Milliseconds(1)).has_value());
}

TEST(FakeApiClientTest, WatchCancelAndRefusal) {
  FakeApiClient api;
  api.OnWatch("/refused", [](const Request&) { return ApiError(403, "Forbidden", "no"); });
  EXPECT_EQ(api.Watch(
                   {.path = "/refused"}, [](const WatchEvent&) {}, nullptr)
                .code(),
            absl::StatusCode::kPermissionDenied);

  CancelTokenPtr cancel = CancelToken::Create();
  absl::Status result;
  std::thread watcher([&] {
    result = api.Watch(
        {.path = "/w"}, [](const WatchEvent&) {}, cancel);
  });
  ASSERT_TRUE(api.AwaitWatch("/w").has_value());
  cancel->Cancel();
  watcher.join();
  EXPECT_EQ(result.code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace cubelet::client::testing
