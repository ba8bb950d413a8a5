#include "client/reflector.h"

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/testing/fake_api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace cubelet::client {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using testing::FakeApiClient;
using ::testing::HasSubstr;

constexpr char kListPath[] = "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1";
constexpr char kPods[] = "/api/v1/pods?";

json Pod(const std::string& name, const std::string& rv) {
  return json{{"metadata", {{"name", name}, {"resourceVersion", rv}}}};
}

json PodList(const std::string& rv, std::vector<json> items) {
  return json{{"kind", "PodList"},
              {"apiVersion", "v1"},
              {"metadata", {{"resourceVersion", rv}}},
              {"items", std::move(items)}};
}

json ErrorObject(int code, const std::string& reason, const std::string& message) {
  return json{{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
              {"message", message}, {"reason", reason},   {"code", code}};
}

// Records the handler calls as strings: "replace 10 [a b]", "add c", ...
class RecordingHandler final : public ReflectorHandler {
 public:
  void Replace(std::vector<json> items, const std::string& rv) override {
    std::string names;
    for (const json& item : items) {
      absl::StrAppend(&names, names.empty() ? "" : " ",
                      item["metadata"]["name"].get<std::string>());
    }
    Record(absl::StrCat("replace ", rv, " [", names, "]"));
  }
  void Add(const json& o) override { Record("add " + o["metadata"]["name"].get<std::string>()); }
  void Update(const json& o) override {
    Record("update " + o["metadata"]["name"].get<std::string>());
  }
  void Delete(const json& o) override {
    Record("delete " + o["metadata"]["name"].get<std::string>());
  }

  std::vector<std::string> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  void Record(std::string call) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(std::move(call));
  }
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
};

class ReflectorTest : public ::testing::Test {
 protected:
  ReflectorTest() {
    options_.list_path = kListPath;
    options_.clock = &clock_;
    options_.backoff_jitter = 0;  // exact delays
  }
  ~ReflectorTest() override { Stop(); }

  void Start() {
    reflector_ = std::make_unique<Reflector>(&api_, options_, &handler_);
    thread_ = std::thread([this] { reflector_->Run(cancel_); });
  }
  void Stop() {
    cancel_->Cancel();
    if (thread_.joinable()) thread_.join();
  }

  // The paths of the LIST requests so far.
  std::vector<std::string> ListPaths() const {
    std::vector<std::string> out;
    for (const Request& r : api_.Requests()) {
      if (r.path.find("watch=true") == std::string::npos) out.push_back(r.path);
    }
    return out;
  }

  // Waits for the next open watch and returns its resourceVersion parameter.
  std::string AwaitWatchFrom() {
    std::optional<Request> watch = api_.AwaitWatch(kPods);
    EXPECT_TRUE(watch.has_value());
    if (!watch.has_value()) return "<none>";
    const size_t at = watch->path.rfind("&resourceVersion=");
    return at == std::string::npos ? "<missing>" : watch->path.substr(at + 17);
  }

  // Moves the clock by `d` to wake a back-off sleep that must last exactly
  // `d`: just before, the reflector must still be asleep.
  void ExpectBackoff(absl::Duration d) {
    clock_.AwaitWaiters(1);
    clock_.Advance(d - absl::Milliseconds(1));
    EXPECT_EQ(clock_.Waiters(), 1u) << "woke before " << d;
    clock_.Advance(absl::Milliseconds(1));
  }

  FakeClock clock_;
  FakeApiClient api_;
  RecordingHandler handler_;
  ReflectorOptions options_;
  std::unique_ptr<Reflector> reflector_;
  CancelTokenPtr cancel_ = CancelToken::Create();
  std::thread thread_;
};

TEST_F(ReflectorTest, ListsThenWatchesAndAppliesEvents) {
  api_.OnReturn(Verb::kGet, kPods, PodList("10", {Pod("a", "5"), Pod("b", "7")}));
  Start();
  std::optional<Request> watch = api_.AwaitWatch(kPods);
  ASSERT_TRUE(watch.has_value());
  EXPECT_THAT(ListPaths(), ElementsAre(std::string(kListPath) + "&resourceVersion=0"));
  EXPECT_THAT(watch->path, HasSubstr(std::string(kListPath) +
                                     "&watch=true&allowWatchBookmarks=true&timeoutSeconds="));
  EXPECT_THAT(watch->path, ::testing::EndsWith("&resourceVersion=10"));
  // timeoutSeconds in [5 min, 10 min).
  const size_t at = watch->path.find("timeoutSeconds=") + 15;
  int timeout = 0;
  ASSERT_TRUE(absl::SimpleAtoi(watch->path.substr(at, watch->path.find('&', at) - at), &timeout));
  EXPECT_GE(timeout, 300);
  EXPECT_LT(timeout, 600);

  EXPECT_TRUE(reflector_->HasSynced());
  EXPECT_EQ(reflector_->LastSyncResourceVersion(), "10");
  EXPECT_EQ(reflector_->health().last_success, clock_.Now());

  api_.PushEvent({"ADDED", Pod("c", "11")});
  api_.PushEvent({"MODIFIED", Pod("a", "12")});
  api_.PushEvent({"DELETED", Pod("b", "13")});
  api_.PushEvent({"SURPRISE", Pod("x", "14")});  // ignored
  api_.PushEvent({"BOOKMARK", Pod("", "20")});
  ASSERT_TRUE(api_.AwaitDelivered());
  EXPECT_THAT(handler_.calls(), ElementsAre("replace 10 [a b]", "add c", "update a", "delete b"));
  EXPECT_EQ(reflector_->LastSyncResourceVersion(), "20");
  Stop();
}

TEST_F(ReflectorTest, ListPathWithoutQuery) {
  options_.list_path = "/api/v1/nodes";
  api_.OnReturn(Verb::kGet, "/api/v1/nodes", PodList("3", {}));
  Start();
  std::optional<Request> watch = api_.AwaitWatch("/api/v1/nodes");
  ASSERT_TRUE(watch.has_value());
  EXPECT_THAT(ListPaths(), ElementsAre("/api/v1/nodes?resourceVersion=0"));
  EXPECT_THAT(watch->path, ::testing::StartsWith("/api/v1/nodes?watch=true&"));
  EXPECT_THAT(handler_.calls(), ElementsAre("replace 3 []"));
}

TEST_F(ReflectorTest, StreamEndRewatchesFromTheLastVersionWithoutListing) {
  api_.OnReturn(Verb::kGet, kPods, PodList("10", {}));
  Start();
  EXPECT_EQ(AwaitWatchFrom(), "10");
  api_.PushEvent({"ADDED", Pod("a", "11")});
  api_.CloseWatches();
  EXPECT_EQ(AwaitWatchFrom(), "11");

  // A watch with no events that lasted a while (the server's timeout) is
  // fine too.
  clock_.Advance(absl::Minutes(5));
  api_.CloseWatches();
  EXPECT_EQ(AwaitWatchFrom(), "11");
  EXPECT_EQ(ListPaths().size(), 1u);
  EXPECT_EQ(api_.WatchesStarted(), 3u);
  EXPECT_EQ(clock_.Waiters(), 0u);  // no back-off
}

TEST_F(ReflectorTest, VeryShortWatchBacksOffAndRelists) {
  api_.OnReturn(Verb::kGet, kPods, PodList("10", {}));
  Start();
  EXPECT_EQ(AwaitWatchFrom(), "10");
  api_.CloseWatches();  // at once, no events
  ExpectBackoff(absl::Milliseconds(800));
  EXPECT_EQ(AwaitWatchFrom(), "10");
  // The relist asks for the last synced version, as client-go does.
  EXPECT_THAT(ListPaths(), ElementsAre(std::string(kListPath) + "&resourceVersion=0",
                                       std::string(kListPath) + "&resourceVersion=10"));
}

TEST_F(ReflectorTest, GoneEventRelistsAtOnceAndAGoneListRelistsWithoutVersion) {
  int lists = 0;
  api_.On(Verb::kGet, kPods, [&lists](const Request&) -> absl::StatusOr<json> {
    switch (++lists) {
      case 1:
        return PodList("10", {Pod("a", "5")});
      case 2:
        return ApiError(410, "Expired", "too old resource version: 15 (40)");
      default:
        return PodList("40", {Pod("b", "39")});
    }
  });
  Start();
  EXPECT_EQ(AwaitWatchFrom(), "10");
  api_.PushEvent({"MODIFIED", Pod("a", "15")});
  api_.PushEvent({"ERROR", ErrorObject(410, "Expired", "too old resource version: 15 (40)")});
  api_.PushEvent({"ADDED", Pod("late", "41")});  // after the error: not applied
  // list, watch, the two lists and the new watch.
  ASSERT_TRUE(api_.AwaitRequests(5));
  EXPECT_EQ(AwaitWatchFrom(), "40");
  EXPECT_THAT(ListPaths(),
              ElementsAre(std::string(kListPath) + "&resourceVersion=0",
                          std::string(kListPath) + "&resourceVersion=15", std::string(kListPath)));
  EXPECT_THAT(handler_.calls(), ElementsAre("replace 10 [a]", "update a", "replace 40 [b]"));
  EXPECT_EQ(clock_.Waiters(), 0u);  // no back-off

  // After a good list, relists use the synced version again.
  api_.PushEvent({"ADDED", Pod("c", "41")});
  api_.PushEvent({"ERROR", ErrorObject(410, "Expired", "too old")});
  ASSERT_TRUE(api_.AwaitRequests(7));
  EXPECT_EQ(AwaitWatchFrom(), "40");
  EXPECT_EQ(ListPaths().back(), std::string(kListPath) + "&resourceVersion=41");
}

TEST_F(ReflectorTest, WatchCallGoneAtOnceBacksOff) {
  api_.OnReturn(Verb::kGet, kPods, PodList("10", {}));
  int watches = 0;
  api_.OnWatch(kPods, [&watches](const Request&) {
    return ++watches == 1 ? ApiError(410, "Expired", "too old") : absl::OkStatus();
  });
  Start();
  ExpectBackoff(absl::Milliseconds(800));
  EXPECT_EQ(AwaitWatchFrom(), "10");
  EXPECT_EQ(ListPaths().size(), 2u);
}

TEST_F(ReflectorTest, ErrorsBackOffDoublingToTheCap) {
  std::atomic<bool> fail{true};
  api_.On(Verb::kGet, kPods, [&fail](const Request&) -> absl::StatusOr<json> {
    if (fail) return ApiError(500, "InternalError", "etcd is sad");
    return PodList("10", {});
  });
  Start();
  size_t lists = 1;
  for (int ms : {800, 1600, 3200, 6400, 12800, 25600, 30000, 30000}) {
    ASSERT_TRUE(api_.AwaitRequests(lists));
    ExpectBackoff(absl::Milliseconds(ms));
    ++lists;
  }
  // Asleep after the last failure (the fake records a request before its
  // responder runs, so the request alone is too early to look).
  ASSERT_TRUE(api_.AwaitRequests(lists));
  clock_.AwaitWaiters(1);
  EXPECT_FALSE(reflector_->HasSynced());
  EXPECT_THAT(std::string(reflector_->health().last_error.message()), HasSubstr("etcd is sad"));
  EXPECT_EQ(reflector_->health().last_success, absl::InfinitePast());

  // Recovered: a list and a watch.
  fail = false;
  ExpectBackoff(absl::Seconds(30));
  EXPECT_EQ(AwaitWatchFrom(), "10");
  EXPECT_TRUE(reflector_->HasSynced());
  EXPECT_TRUE(reflector_->health().last_error.ok());

  // Two quiet minutes later the back-off starts over.
  clock_.Advance(absl::Minutes(3));
  api_.CloseWatches(ApiError(500, "InternalError", "boom"));
  ExpectBackoff(absl::Milliseconds(800));
  EXPECT_EQ(AwaitWatchFrom(), "10");
}

TEST_F(ReflectorTest, WatchErrorEventBacksOffAndRelists) {
  api_.OnReturn(Verb::kGet, kPods, PodList("10", {}));
  Start();
  EXPECT_EQ(AwaitWatchFrom(), "10");
  api_.PushEvent({"ADDED", Pod("a", "11")});
  api_.PushEvent({"ERROR", ErrorObject(500, "InternalError", "oops")});
  ExpectBackoff(absl::Milliseconds(800));
  EXPECT_EQ(AwaitWatchFrom(), "10");
  EXPECT_THAT(ListPaths(), ElementsAre(std::string(kListPath) + "&resourceVersion=0",
                                       std::string(kListPath) + "&resourceVersion=11"));
}

TEST_F(ReflectorTest, CancelDuringBackoffReturns) {
  api_.OnReturn(Verb::kGet, kPods, absl::UnavailableError("connection refused"));
  Start();
  clock_.AwaitWaiters(1);
  Stop();  // joins: Run returned without the clock moving
  EXPECT_FALSE(reflector_->HasSynced());
}

TEST_F(ReflectorTest, CancelDuringWatchReturns) {
  api_.OnReturn(Verb::kGet, kPods, PodList("10", {}));
  Start();
  EXPECT_EQ(AwaitWatchFrom(), "10");
  Stop();
  EXPECT_EQ(api_.OpenWatches(), 0u);
  EXPECT_EQ(ListPaths().size(), 1u);
}

TEST_F(ReflectorTest, MalformedListBacksOff) {
  int lists = 0;
  api_.On(Verb::kGet, kPods, [&lists](const Request&) -> absl::StatusOr<json> {
    if (++lists == 1) return json{{"items", 5}};
    return PodList("10", {});
  });
  Start();
  ExpectBackoff(absl::Milliseconds(800));
  EXPECT_EQ(AwaitWatchFrom(), "10");
}

}  // namespace
}  // namespace cubelet::client
