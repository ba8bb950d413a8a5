#include "config/config.h"

#include <thread>

#include "config/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Names;
using testing::Recorder;

api::PodPtr MakePod(const std::string& name, const std::string& uid,
                    const std::string& image = "busybox") {
  api::Pod pod;
  pod.metadata.name = name;
  pod.metadata.namespace_ = "default";
  pod.metadata.uid = uid;
  pod.metadata.annotations[api::kConfigHashAnnotation] = uid;
  api::Container c;
  c.name = "c";
  c.image = image;
  pod.spec.containers.push_back(c);
  return std::make_shared<const api::Pod>(std::move(pod));
}

api::PodPtr Modified(const api::PodPtr& p, const std::function<void(api::Pod&)>& f) {
  api::Pod copy = *p;
  f(copy);
  return std::make_shared<const api::Pod>(std::move(copy));
}

PodUpdate Set(const std::string& source, std::vector<api::PodPtr> pods) {
  return PodUpdate{std::move(pods), PodOperation::kSet, source};
}

// "OP:name,name" for each emitted update, to compare sequences at a glance.
std::vector<std::string> Ops(const std::vector<PodUpdate>& updates) {
  std::vector<std::string> out;
  for (const PodUpdate& u : updates) {
    std::string s = std::string(PodOperationName(u.op)) + ":";
    for (size_t i = 0; i < u.pods.size(); ++i) {
      if (i > 0) s += ",";
      s += u.pods[i]->metadata.name;
    }
    out.push_back(s);
  }
  return out;
}

class PodConfigTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixNanos(1'700'000'000'123'456'000)};
  Recorder rec_;
  PodConfig config_{&clock_, rec_.UpdateFn(), rec_.ErrorFn()};
};

TEST(SeenTimestampTest, GoRfc3339Nano) {
  EXPECT_EQ(FormatSeenTimestamp(absl::FromUnixNanos(1'700'000'000'123'456'789)),
            "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(FormatSeenTimestamp(absl::FromUnixNanos(1'700'000'000'120'000'000)),
            "2023-11-14T22:13:20.12Z");
  EXPECT_EQ(FormatSeenTimestamp(absl::FromUnixSeconds(1'700'000'000)), "2023-11-14T22:13:20Z");
}

TEST_F(PodConfigTest, FirstEmptySetMarksSourceSeen) {
  EXPECT_FALSE(config_.SeenAllSources({"file"}));
  config_.Merge(Set("file", {}));
  EXPECT_THAT(Ops(rec_.updates()), ElementsAre("ADD:"));
  EXPECT_EQ(rec_.updates()[0].source, "file");
  EXPECT_TRUE(config_.SeenAllSources({"file"}));
  EXPECT_FALSE(config_.SeenAllSources({"file", "http"}));
  // A second empty SET says nothing new.
  config_.Merge(Set("file", {}));
  EXPECT_EQ(rec_.updates().size(), 1u);
  config_.Merge(Set("http", {}));
  EXPECT_TRUE(config_.SeenAllSources({"file", "http"}));
  EXPECT_TRUE(config_.SeenAllSources({}));
}

TEST_F(PodConfigTest, AddStampsSourceAndFirstSeen) {
  config_.Merge(Set("file", {MakePod("a", "u1"), MakePod("b", "u2")}));
  ASSERT_THAT(Ops(rec_.updates()), ElementsAre("ADD:a,b"));
  const api::Pod& a = *rec_.updates()[0].pods[0];
  EXPECT_EQ(a.metadata.annotations.at(api::kConfigSourceAnnotation), "file");
  EXPECT_EQ(a.metadata.annotations.at(api::kConfigSeenAnnotation), "2023-11-14T22:13:20.123456Z");
  EXPECT_TRUE(config_.SeenAllSources({"file"}));

  // Unchanged snapshot later: nothing, and config.seen is not moved.
  clock_.Advance(absl::Seconds(5));
  config_.Merge(Set("file", {MakePod("a", "u1"), MakePod("b", "u2")}));
  EXPECT_EQ(rec_.updates().size(), 1u);
  EXPECT_THAT(Names(config_.GetPods()), ElementsAre("a", "b"));
  EXPECT_EQ(config_.GetPods()[0]->metadata.annotations.at(api::kConfigSeenAnnotation),
            "2023-11-14T22:13:20.123456Z");
}

TEST_F(PodConfigTest, FullSequenceInUpstreamOrder) {
  api::PodPtr keep = MakePod("keep", "u0");
  api::PodPtr gone = MakePod("gone", "u1");
  api::PodPtr changed = MakePod("changed", "u2");
  api::PodPtr deleted = MakePod("deleted", "u3");
  api::PodPtr status = MakePod("status", "u4");
  config_.Merge(Set("file", {keep, gone, changed, deleted, status}));
  rec_.Clear();

  clock_.Advance(absl::Seconds(1));
  api::PodPtr changed2 = Modified(changed, [](api::Pod& p) { p.spec.containers[0].image = "x"; });
  api::PodPtr deleted2 = Modified(deleted, [](api::Pod& p) {
    p.metadata.deletion_timestamp = absl::FromUnixSeconds(1'700'000'100);
    p.metadata.deletion_grace_period_seconds = 30;
  });
  api::PodPtr status2 = Modified(status, [](api::Pod& p) { p.status.phase = api::kPodRunning; });
  api::PodPtr fresh = MakePod("fresh", "u5");
  config_.Merge(Set("file", {keep, changed2, deleted2, status2, fresh}));
  EXPECT_THAT(Ops(rec_.updates()), ElementsAre("REMOVE:gone", "ADD:fresh", "UPDATE:changed",
                                               "DELETE:deleted", "RECONCILE:status"));
  std::vector<PodUpdate> u = rec_.updates();
  EXPECT_EQ(u[2].pods[0]->spec.containers[0].image, "x");
  // An update keeps the first-seen time of the original add.
  EXPECT_EQ(u[2].pods[0]->metadata.annotations.at(api::kConfigSeenAnnotation),
            "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(u[1].pods[0]->metadata.annotations.at(api::kConfigSeenAnnotation),
            "2023-11-14T22:13:21.123456Z");
  EXPECT_TRUE(u[3].pods[0]->metadata.deletion_timestamp.has_value());
  EXPECT_EQ(u[4].pods[0]->status.phase, api::kPodRunning);
  EXPECT_THAT(Names(config_.GetPods()),
              ElementsAre("keep", "changed", "deleted", "status", "fresh"));
}

TEST_F(PodConfigTest, WhatCountsAsAnUpdate) {
  api::PodPtr p = MakePod("p", "u1");
  config_.Merge(Set("file", {p}));
  rec_.Clear();
  // Local annotations are the kubelet's own: no update.
  config_.Merge(Set("file", {Modified(p, [](api::Pod& x) {
                      x.metadata.annotations[api::kConfigSeenAnnotation] = "whenever";
                      x.metadata.annotations[api::kConfigMirrorAnnotation] = "m";
                    })}));
  EXPECT_THAT(rec_.updates(), IsEmpty());
  // Labels and other annotations are.
  config_.Merge(Set("file", {Modified(p, [](api::Pod& x) { x.metadata.labels["a"] = "b"; })}));
  config_.Merge(Set("file", {Modified(p, [](api::Pod& x) {
                      x.metadata.labels["a"] = "b";
                      x.metadata.annotations["team"] = "x";
                    })}));
  EXPECT_THAT(Ops(rec_.updates()), ElementsAre("UPDATE:p", "UPDATE:p"));
  EXPECT_EQ(rec_.updates()[1].pods[0]->metadata.annotations.at("team"), "x");
  EXPECT_EQ(rec_.updates()[1].pods[0]->metadata.annotations.at(api::kConfigSourceAnnotation),
            "file");
}

TEST_F(PodConfigTest, IncrementalOpsFromASource) {
  api::PodPtr a = MakePod("a", "u1");
  config_.Merge(PodUpdate{{a}, PodOperation::kAdd, "api"});
  config_.Merge(PodUpdate{
      {Modified(a, [](api::Pod& p) { p.spec.hostname = "h"; })}, PodOperation::kUpdate, "api"});
  config_.Merge(PodUpdate{{a}, PodOperation::kRemove, "api"});
  config_.Merge(PodUpdate{{a}, PodOperation::kRemove, "api"});  // already gone: no-op
  EXPECT_THAT(Ops(rec_.updates()), ElementsAre("ADD:a", "UPDATE:a", "REMOVE:a"));
  EXPECT_FALSE(config_.SeenAllSources({"api"}));  // only a SET marks a source seen
}

TEST_F(PodConfigTest, DuplicateNamesWithinAndAcrossSources) {
  config_.Merge(Set("file", {MakePod("web", "u1"), MakePod("web", "u2")}));
  EXPECT_THAT(Ops(rec_.updates()), ElementsAre("ADD:web"));
  EXPECT_EQ(rec_.updates()[0].pods[0]->metadata.uid, "u1");
  EXPECT_THAT(rec_.errors(), ElementsAre("source \"file\": duplicate pod \"web_default\" in one "
                                         "update; the later one ignored"));
  rec_.Clear();

  config_.Merge(Set("http", {MakePod("web", "u3"), MakePod("other", "u4")}));
  EXPECT_THAT(Ops(rec_.updates()), ElementsAre("ADD:other"));
  EXPECT_THAT(rec_.errors(), ElementsAre("source \"http\": pod \"web_default\" is already "
                                         "defined by source \"file\"; ignored"));
  EXPECT_TRUE(config_.SeenAllSources({"file", "http"}));
  rec_.Clear();

  // Once the first source lets go of the name, the other may have it.
  config_.Merge(Set("file", {}));
  config_.Merge(Set("http", {MakePod("web", "u3"), MakePod("other", "u4")}));
  EXPECT_THAT(Ops(rec_.updates()), ElementsAre("REMOVE:web", "ADD:web"));
  EXPECT_EQ(rec_.updates()[1].pods[0]->metadata.uid, "u3");
}

TEST_F(PodConfigTest, ConcurrentSourcesSeeConsistentState) {
  // Two sources hammer the config at once; every ADD is eventually matched by
  // a REMOVE and the final state is what each last said.
  auto run = [this](const std::string& source) {
    for (int i = 0; i < 200; ++i) {
      std::string uid = source + "-" + std::to_string(i);
      config_.Merge(Set(source, {MakePod(source + "-pod", uid)}));
    }
  };
  std::thread t1(run, "file"), t2(run, "http");
  t1.join();
  t2.join();
  int adds = 0, removes = 0;
  for (const PodUpdate& u : rec_.updates()) {
    if (u.op == PodOperation::kAdd) adds += static_cast<int>(u.pods.size());
    if (u.op == PodOperation::kRemove) removes += static_cast<int>(u.pods.size());
  }
  EXPECT_EQ(adds, 400);
  EXPECT_EQ(removes, 398);
  EXPECT_THAT(Names(config_.GetPods()), ElementsAre("file-pod", "http-pod"));
}

TEST(PodsDifferSemanticallyTest, Fields) {
  api::PodPtr p = MakePod("p", "u");
  EXPECT_FALSE(PodsDifferSemantically(*p, *p));
  EXPECT_FALSE(PodsDifferSemantically(
      *p, *Modified(p, [](api::Pod& x) { x.status.phase = api::kPodFailed; })));
  EXPECT_TRUE(PodsDifferSemantically(
      *p, *Modified(p, [](api::Pod& x) { x.metadata.deletion_grace_period_seconds = 0; })));
  EXPECT_TRUE(PodsDifferSemantically(*p, *Modified(p, [](api::Pod& x) {
    x.metadata.annotations.erase(api::kConfigHashAnnotation);
  })));
}

}  // namespace
}  // namespace cubelet::config
