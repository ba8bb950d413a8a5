#include "events/api_recorder.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/testing/fake_api_client.h"
#include "gtest/gtest.h"

namespace cubelet::events {
namespace {

using client::ApiError;
using client::Verb;
using client::testing::FakeApiClient;
using nlohmann::json;

constexpr char kEvents[] = "/api/v1/namespaces/default/events";
// The FakeClock's start, 1'700'000'000 s, in hex nanoseconds and RFC 3339.
constexpr char kStartHex[] = "17979cfe362a0000";
constexpr char kStartTime[] = "2023-11-14T22:13:20Z";

// Answers a write as the API server does: the object, with a version.
absl::StatusOr<json> Echo(const client::Request& r) {
  json out = r.body;
  out["metadata"]["resourceVersion"] = "100";
  return out;
}

class ApiEventRecorderTest : public ::testing::Test {
 protected:
  ApiEventRecorderTest() {
    api_.On(Verb::kPost, "/api/v1/namespaces/", Echo);
    api_.On(Verb::kPatch, "/api/v1/namespaces/", Echo);
  }

  static ObjectReference Pod(const std::string& name) {
    api::Pod pod;
    pod.metadata.name = name;
    pod.metadata.namespace_ = "default";
    pod.metadata.uid = "uid-" + name;
    return PodReference(pod);
  }

  ApiEventRecorder& Recorder(ApiEventRecorderOptions options = {.host = "node-1"}) {
    recorder_ = std::make_unique<ApiEventRecorder>(&api_, &clock_, std::move(options));
    return *recorder_;
  }

  FakeClock clock_;
  FakeApiClient api_;
  std::unique_ptr<ApiEventRecorder> recorder_;
};

TEST_F(ApiEventRecorderTest, PostsTheEventAsClientGoBuildsIt) {
  ApiEventRecorder& recorder = Recorder();
  ObjectReference ref = Pod("web");
  ref.field_path = ContainerFieldPath("app");
  recorder.Event(ref, kWarning, "BackOff", "Back-off restarting failed container");
  EXPECT_TRUE(api_.Requests().empty()) << "Event never writes on the caller's thread";
  EXPECT_EQ(recorder.SyncOnce(), 1);

  auto posts = api_.RequestsTo(Verb::kPost, kEvents);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].path, kEvents);
  EXPECT_EQ(
      posts[0].body,
      (json{{"apiVersion", "v1"},
            {"kind", "Event"},
            {"metadata", {{"name", absl::StrCat("web.", kStartHex)}, {"namespace", "default"}}},
            {"involvedObject",
             {{"kind", "Pod"},
              {"namespace", "default"},
              {"name", "web"},
              {"uid", "uid-web"},
              {"apiVersion", "v1"},
              {"fieldPath", "spec.containers{app}"}}},
            {"reason", "BackOff"},
            {"message", "Back-off restarting failed container"},
            {"source", {{"component", "kubelet"}, {"host", "node-1"}}},
            {"firstTimestamp", kStartTime},
            {"lastTimestamp", kStartTime},
            {"count", 1},
            {"type", "Warning"},
            {"eventTime", nullptr},
            {"reportingComponent", "kubelet"},
            {"reportingInstance", "node-1"}}));
  EXPECT_EQ(recorder.Writes(), 1);
  EXPECT_EQ(recorder.Dropped(), 0);
  EXPECT_EQ(recorder.SyncOnce(), 0) << "nothing left";
}

TEST_F(ApiEventRecorderTest, NodeEventsGoToTheDefaultNamespace) {
  ApiEventRecorder& recorder = Recorder();
  recorder.Event(NodeReference("node-1"), kNormal, "Starting", "Starting kubelet.");
  recorder.SyncOnce();
  auto posts = api_.RequestsTo(Verb::kPost, kEvents);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].body["metadata"]["name"], absl::StrCat("node-1.", kStartHex));
  EXPECT_EQ(posts[0].body["involvedObject"],
            (json{{"kind", "Node"}, {"name", "node-1"}, {"uid", "node-1"}}));
}

TEST_F(ApiEventRecorderTest, UnsupportedTypeIsNotRecorded) {
  ApiEventRecorder& recorder = Recorder();
  recorder.Event(Pod("web"), "Critical", "Oops", "x");
  EXPECT_EQ(recorder.SyncOnce(), 0);
}

TEST_F(ApiEventRecorderTest, RepeatIsOnePatchWithCountTwo) {
  ApiEventRecorder& recorder = Recorder();
  recorder.Event(Pod("web"), kNormal, "Pulling", "Pulling image \"nginx\"");
  clock_.Advance(absl::Seconds(1));
  recorder.Event(Pod("web"), kNormal, "Pulling", "Pulling image \"nginx\"");
  EXPECT_EQ(recorder.SyncOnce(), 2);

  ASSERT_EQ(api_.RequestsTo(Verb::kPost, kEvents).size(), 1u);
  auto patches = api_.RequestsTo(Verb::kPatch, kEvents);
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].path, absl::StrCat(kEvents, "/web.", kStartHex));
  EXPECT_EQ(patches[0].patch_type, client::PatchType::kStrategicMerge);
  EXPECT_EQ(patches[0].body, (json{{"count", 2},
                                   {"lastTimestamp", "2023-11-14T22:13:21Z"},
                                   {"message", "Pulling image \"nginx\""}}));
}

TEST_F(ApiEventRecorderTest, SimilarEventsAreCombined) {
  ApiEventRecorder& recorder = Recorder();
  for (int i = 1; i <= 11; ++i) {
    recorder.Event(Pod("web"), kWarning, "FailedMount", absl::StrCat("volume ", i, " failed"));
  }
  clock_.Advance(absl::Seconds(1));  // the aggregate is named when correlated
  EXPECT_EQ(recorder.SyncOnce(), 11);

  auto posts = api_.RequestsTo(Verb::kPost, kEvents);
  ASSERT_EQ(posts.size(), 10u);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(posts[i].body["message"], absl::StrCat("volume ", i + 1, " failed"));
  }
  // Upstream's threshold: the 10th distinct message within 10 minutes is the
  // first combined one; later ones count on it.
  EXPECT_EQ(posts[9].body["message"], "(combined from similar events): volume 10 failed");
  EXPECT_EQ(posts[9].body["count"], 1);
  auto patches = api_.RequestsTo(Verb::kPatch, kEvents);
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].path,
            absl::StrCat(kEvents, "/", posts[9].body["metadata"]["name"].get<std::string>()));
  EXPECT_EQ(patches[0].body["count"], 2);
  EXPECT_EQ(patches[0].body["message"], "(combined from similar events): volume 11 failed");
}

TEST_F(ApiEventRecorderTest, SpamFilterLimitsEachObjectAndRefills) {
  ApiEventRecorder& recorder = Recorder();
  for (int i = 0; i < 30; ++i) recorder.Event(Pod("web"), kWarning, "BackOff", "back-off");
  recorder.Event(Pod("db"), kWarning, "BackOff", "back-off");
  EXPECT_EQ(recorder.SyncOnce(), 26) << "25 about web (1 POST, 24 PATCH), 1 about db";
  EXPECT_EQ(recorder.Dropped(), 5);
  EXPECT_EQ(api_.RequestsTo(Verb::kPost, kEvents).size(), 2u);

  clock_.Advance(absl::Minutes(5));  // one token back
  api_.ClearRequests();
  recorder.Event(Pod("web"), kWarning, "BackOff", "back-off");
  recorder.Event(Pod("web"), kWarning, "BackOff", "back-off");
  EXPECT_EQ(recorder.SyncOnce(), 1);
  EXPECT_EQ(recorder.Dropped(), 6);
  auto patches = api_.RequestsTo(Verb::kPatch, kEvents);
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].body["count"], 31) << "the count includes the filtered ones";
}

TEST_F(ApiEventRecorderTest, FullQueueDropsAndCounts) {
  ApiEventRecorder& recorder = Recorder({.host = "node-1", .queue_capacity = 2});
  recorder.Event(Pod("a"), kNormal, "Created", "x");
  recorder.Event(Pod("b"), kNormal, "Created", "x");
  recorder.Event(Pod("c"), kNormal, "Created", "x");
  EXPECT_EQ(recorder.Dropped(), 1);
  EXPECT_EQ(recorder.SyncOnce(), 2);
  recorder.Event(Pod("c"), kNormal, "Created", "x");
  EXPECT_EQ(recorder.SyncOnce(), 1) << "room again";
}

TEST_F(ApiEventRecorderTest, FailedWriteIsRetriedThenGivenUp) {
  ApiEventRecorder& recorder = Recorder();
  api_.OnReturn(Verb::kPost, kEvents, absl::UnavailableError("connection refused"));
  recorder.Event(Pod("web"), kNormal, "Started", "Started container app");
  EXPECT_EQ(recorder.SyncOnce(), 1);
  EXPECT_EQ(recorder.SyncOnce(), 0) << "not before the retry time";
  recorder.Event(Pod("db"), kNormal, "Started", "Started container db");
  EXPECT_EQ(recorder.SyncOnce(), 0) << "later events wait behind the one being retried";

  for (int attempt = 2; attempt <= 11; ++attempt) {
    clock_.Advance(absl::Seconds(10));
    EXPECT_EQ(recorder.SyncOnce(), 1) << "attempt " << attempt;
  }
  EXPECT_EQ(recorder.Dropped(), 0);
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(recorder.SyncOnce(), 2) << "the 12th attempt, then the next event's first";
  EXPECT_EQ(recorder.Dropped(), 1) << "given up after max_tries";
  auto posts = api_.RequestsTo(Verb::kPost, kEvents);
  ASSERT_EQ(posts.size(), 13u);
  EXPECT_EQ(posts[11].body["involvedObject"]["name"], "web");
  EXPECT_EQ(posts[12].body["involvedObject"]["name"], "db");

  api_.On(Verb::kPost, kEvents, Echo);
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(recorder.SyncOnce(), 1);
  EXPECT_EQ(recorder.SyncOnce(), 0) << "written";
  EXPECT_EQ(recorder.Writes(), 14);
}

TEST_F(ApiEventRecorderTest, TooManyRequestsIsRetried) {
  ApiEventRecorder& recorder = Recorder();
  api_.OnReturn(Verb::kPost, kEvents, ApiError(429, "TooManyRequests", "slow down"));
  recorder.Event(Pod("web"), kNormal, "Started", "x");
  EXPECT_EQ(recorder.SyncOnce(), 1);
  api_.On(Verb::kPost, kEvents, Echo);
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(recorder.SyncOnce(), 1);
  EXPECT_EQ(recorder.Dropped(), 0);
}

TEST_F(ApiEventRecorderTest, RefusedWritesAreNotRetried) {
  ApiEventRecorder& recorder = Recorder();
  api_.OnReturn(Verb::kPost, kEvents, ApiError(403, "Forbidden", "events is forbidden"));
  recorder.Event(Pod("web"), kNormal, "Started", "x");
  EXPECT_EQ(recorder.SyncOnce(), 1);
  api_.OnReturn(Verb::kPost, kEvents, ApiError(409, "AlreadyExists", "already exists"));
  recorder.Event(Pod("db"), kNormal, "Started", "x");
  EXPECT_EQ(recorder.SyncOnce(), 1);
  EXPECT_EQ(recorder.Dropped(), 2);
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(recorder.SyncOnce(), 0);
}

TEST_F(ApiEventRecorderTest, PatchOfAGoneEventCreatesIt) {
  ApiEventRecorder& recorder = Recorder();
  api_.OnReturn(Verb::kPatch, kEvents, ApiError(404, "NotFound", "events \"x\" not found"));
  recorder.Event(Pod("web"), kNormal, "Pulling", "x");
  clock_.Advance(absl::Seconds(1));
  recorder.Event(Pod("web"), kNormal, "Pulling", "x");
  EXPECT_EQ(recorder.SyncOnce(), 3) << "POST, PATCH (404), POST";

  auto posts = api_.RequestsTo(Verb::kPost, kEvents);
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[1].body["metadata"]["name"], posts[0].body["metadata"]["name"]);
  EXPECT_FALSE(posts[1].body["metadata"].contains("resourceVersion"));
  EXPECT_EQ(posts[1].body["count"], 2);
  EXPECT_EQ(posts[1].body["firstTimestamp"], kStartTime);
  EXPECT_EQ(posts[1].body["lastTimestamp"], "2023-11-14T22:13:21Z");
  EXPECT_EQ(recorder.Dropped(), 0);
}

TEST_F(ApiEventRecorderTest, ThreadWritesQueuedEvents) {
  ApiEventRecorder& recorder = Recorder();
  recorder.Start();
  recorder.Event(Pod("web"), kNormal, "Scheduled", "x");
  ASSERT_TRUE(api_.AwaitRequests(1));
  recorder.Event(Pod("db"), kNormal, "Scheduled", "x");
  ASSERT_TRUE(api_.AwaitRequests(2));
  recorder.Stop();
  EXPECT_EQ(recorder.Writes(), 2);
  EXPECT_EQ(recorder.Dropped(), 0);
}

TEST_F(ApiEventRecorderTest, StopIsPromptWhileARetryWaits) {
  ApiEventRecorder& recorder = Recorder();
  api_.OnReturn(Verb::kPost, kEvents, absl::UnavailableError("connection refused"));
  recorder.Start();
  recorder.Event(Pod("web"), kNormal, "Killing", "Stopping container app");
  ASSERT_TRUE(api_.AwaitRequests(1));
  clock_.AwaitWaiters(1);  // the thread waits (on the fake clock) to retry
  recorder.Event(Pod("db"), kNormal, "Killing", "Stopping container db");

  const absl::Time start = absl::Now();
  recorder.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(recorder.Writes(), 1);
  EXPECT_EQ(recorder.Dropped(), 2) << "the event being retried and the queued one";
  recorder.Event(Pod("web"), kNormal, "Killing", "after Stop");
  EXPECT_EQ(recorder.Dropped(), 3);
  EXPECT_EQ(recorder.SyncOnce(), 0);
}

}  // namespace
}  // namespace cubelet::events
