#include "nodestatus/lease_controller.h"

#include "client/testing/fake_api_client.h"
#include "gtest/gtest.h"

namespace cubelet::nodestatus {
namespace {

using client::ApiError;
using client::Verb;
using client::testing::FakeApiClient;
using nlohmann::json;

constexpr char kLeases[] = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
constexpr char kLease[] = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a";

TEST(FormatMicroTimeTest, SixFractionalDigits) {
  EXPECT_EQ(FormatMicroTime(absl::FromUnixMicros(1700000000123456)), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(FormatMicroTime(absl::FromUnixSeconds(1700000000)), "2023-11-14T22:13:20.000000Z");
}

TEST(LeaseControllerTest, CreatesTheLeaseThenRenewsItWithAnOwnerReference) {
  FakeClock clock;
  FakeApiClient api;
  std::string uid;  // the Node is not registered at first
  LeaseController lease(&api, &clock, {.node_name = "node-a"}, [&] { return uid; });
  api.OnReturn(Verb::kGet, kLease, ApiError(404, "NotFound", "leases \"node-a\" not found"));
  api.On(Verb::kPost, kLeases, [](const client::Request& r) { return r.body; });
  api.On(Verb::kPut, kLease, [](const client::Request& r) { return r.body; });

  ASSERT_TRUE(lease.SyncOnce().ok());
  auto posts = api.RequestsTo(Verb::kPost, kLeases);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].body["spec"]["holderIdentity"], "node-a");
  EXPECT_EQ(posts[0].body["spec"]["leaseDurationSeconds"], 40);
  EXPECT_EQ(posts[0].body["spec"]["renewTime"], "2023-11-14T22:13:20.000000Z");
  EXPECT_FALSE(posts[0].body["metadata"].contains("ownerReferences"));

  uid = "node-uid";
  clock.Advance(absl::Seconds(10));
  ASSERT_TRUE(lease.SyncOnce().ok());
  auto puts = api.RequestsTo(Verb::kPut, kLease);
  ASSERT_EQ(puts.size(), 1u) << "renewed from what was written, without a GET";
  EXPECT_EQ(puts[0].body["spec"]["renewTime"], "2023-11-14T22:13:30.000000Z");
  EXPECT_EQ(
      puts[0].body["metadata"]["ownerReferences"][0],
      (json{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", "node-a"}, {"uid", "node-uid"}}));
  EXPECT_EQ(lease.LastRenewal(), clock.Now());
  EXPECT_EQ(api.RequestsTo(Verb::kGet, kLease).size(), 1u);
}

TEST(LeaseControllerTest, ConflictRereadsAndRetries) {
  FakeClock clock;
  FakeApiClient api;
  LeaseController lease(&api, &clock, {.node_name = "node-a"}, [] { return "u"; });
  const json stored = {{"metadata", {{"name", "node-a"}, {"resourceVersion", "7"}}},
                       {"spec", json::object()}};
  api.OnReturn(Verb::kGet, kLease, stored);
  int puts = 0;
  api.On(Verb::kPut, kLease, [&](const client::Request& r) -> absl::StatusOr<json> {
    if (++puts == 1) return ApiError(409, "Conflict", "the object has been modified");
    return r.body;
  });
  ASSERT_TRUE(lease.SyncOnce().ok());
  EXPECT_EQ(puts, 2);
  EXPECT_EQ(api.RequestsTo(Verb::kGet, kLease).size(), 2u) << "read, then re-read after 409";

  api.OnReturn(Verb::kPut, kLease, absl::UnavailableError("apiserver down"));
  absl::Status s = lease.SyncOnce();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("failed to update lease kube-node-lease/node-a"), std::string::npos);
}

}  // namespace
}  // namespace cubelet::nodestatus
