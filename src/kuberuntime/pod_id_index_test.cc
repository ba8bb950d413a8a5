#include "kuberuntime/pod_id_index.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::kuberuntime {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// Ends a list that showed exactly `listed` pods.
void End(PodIdIndex& index, uint64_t list, absl::flat_hash_set<std::string> listed) {
  index.EndList(list, [&](absl::string_view uid) { return listed.contains(uid); });
}

TEST(PodIdIndexTest, AnswersOnlyOnceAListWentThrough) {
  PodIdIndex index;
  index.NoteCreatedSandbox("a", "s1");
  EXPECT_FALSE(index.Lookup("a").has_value());
  const uint64_t list = index.BeginList();
  index.SetListed(list, "b", {"s2"}, {"c2"});
  EXPECT_FALSE(index.Lookup("b").has_value());
  End(index, list, {"b"});
  ASSERT_TRUE(index.Lookup("b").has_value());
  EXPECT_THAT(index.Lookup("b")->sandboxes, ElementsAre("s2"));
  EXPECT_THAT(index.Lookup("b")->containers, ElementsAre("c2"));
  // Created before the list began and not shown by it: removed meanwhile.
  EXPECT_THAT(index.Lookup("a")->sandboxes, IsEmpty());
  EXPECT_THAT(index.Lookup("unknown")->containers, IsEmpty());
}

TEST(PodIdIndexTest, KeepsWhatWasCreatedWhileAListWasOnItsWay) {
  PodIdIndex index;
  End(index, index.BeginList(), {});
  const uint64_t list = index.BeginList();
  index.NoteCreatedSandbox("a", "s1");
  index.NoteCreatedContainer("a", "c1");
  index.SetListed(list, "a", {}, {});  // the list missed them
  End(index, list, {"a"});
  EXPECT_THAT(index.Lookup("a")->sandboxes, ElementsAre("s1"));
  EXPECT_THAT(index.Lookup("a")->containers, ElementsAre("c1"));
  // The next list began after they were created: not shown means gone.
  const uint64_t next = index.BeginList();
  End(index, next, {});
  EXPECT_THAT(index.Lookup("a")->containers, IsEmpty());
  EXPECT_EQ(index.pods(), 0u);
}

TEST(PodIdIndexTest, AListReplacesTheIdsOfAChangedPod) {
  PodIdIndex index;
  uint64_t list = index.BeginList();
  index.SetListed(list, "a", {"s1"}, {"c1", "c2"});
  End(index, list, {"a"});
  index.NoteCreatedContainer("a", "c3");
  list = index.BeginList();
  index.SetListed(list, "a", {"s1"}, {"c2", "c3", "c4"});
  End(index, list, {"a"});
  EXPECT_THAT(index.Lookup("a")->containers, UnorderedElementsAre("c2", "c3", "c4"));
  // A pod whose listed ids did not change is not set again: it keeps its ids.
  list = index.BeginList();
  End(index, list, {"a"});
  EXPECT_THAT(index.Lookup("a")->containers, UnorderedElementsAre("c2", "c3", "c4"));
}

TEST(PodIdIndexTest, ForgetsWhatAnInspectionFoundGone) {
  PodIdIndex index;
  End(index, index.BeginList(), {});
  index.NoteCreatedSandbox("a", "s1");
  index.NoteCreatedContainer("a", "c1");
  index.Forget("a", "c1");
  EXPECT_THAT(index.Lookup("a")->containers, IsEmpty());
  EXPECT_THAT(index.Lookup("a")->sandboxes, ElementsAre("s1"));
  index.Forget("a", "s1");
  EXPECT_EQ(index.pods(), 0u);
  index.Forget("b", "x");  // unknown: nothing happens
}

}  // namespace
}  // namespace cubelet::kuberuntime
