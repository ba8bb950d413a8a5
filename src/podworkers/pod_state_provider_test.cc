// The PodStateProvider predicates of the pod workers along the state
// timeline (pod_state_provider.h), one row per state a pod can rest in
// (upstream TestKnownPods / TestIsPodKnownTerminated and the predicates'
// doc comments in pod_workers.go).
#include "podworkers/pod_state_provider.h"

#include <functional>
#include <string>
#include <vector>

#include "podworkers/pod_workers_test_util.h"

namespace cubelet::podworkers::testing {
namespace {

struct Row {
  std::string state;
  // Drives the workers into the state for pod "1".
  std::function<void()> drive;
  bool termination_requested;
  bool containers_terminating;
  bool could_have_running;
  bool runtime_removable;
  bool content_removable;
};

class PodStateProviderTest : public PodWorkersTestBase {
 protected:
  void Run(const Row& row) {
    ResetWorkers();
    row.drive();
    Drain();
    const PodStateProvider& p = *workers_;
    EXPECT_EQ(p.IsPodTerminationRequested("1"), row.termination_requested) << row.state;
    EXPECT_EQ(p.ShouldPodContainersBeTerminating("1"), row.containers_terminating) << row.state;
    EXPECT_EQ(p.CouldHaveRunningContainers("1"), row.could_have_running) << row.state;
    EXPECT_EQ(p.ShouldPodRuntimeBeRemoved("1"), row.runtime_removable) << row.state;
    EXPECT_EQ(p.ShouldPodContentBeRemoved("1"), row.content_removable) << row.state;
  }
  void SyncKnown(const std::vector<api::PodPtr>& desired) {
    workers_->SyncKnownPods(desired);
    Drain();
  }
  void Create(const api::PodPtr& pod) {
    workers_->UpdatePod(Update(SyncPodType::kCreate, pod));
    Drain();
  }
};

TEST_F(PodStateProviderTest, PredicatesAlongTheTimeline) {
  const api::PodPtr pod = NewPod("1", "p");
  const std::vector<Row> rows = {
      {"unknown before the first housekeeping", [] {}, false, false, true, false, false},
      {"unknown after housekeeping", [this] { SyncKnown({}); }, false, true, false, true, true},
      {"syncing", [&] { Create(pod); }, false, false, true, false, false},
      {"killed, still desired: runtime may go, content stays",
       [&] {
         Create(pod);
         workers_->UpdatePod(Kill(pod));
       },
       true, true, false, true, false},
      {"deleted and terminated",
       [&] {
         Create(pod);
         workers_->UpdatePod(
             Update(SyncPodType::kUpdate, Deleted(NewPod("1", "p"), 0, clock_.Now())));
       },
       true, true, false, true, true},
      {"evicted",
       [&] {
         Create(pod);
         workers_->UpdatePod(Kill(pod, std::nullopt, /*evict=*/true));
       },
       true, true, false, true, true},
      {"no longer desired (orphaned by housekeeping)",
       [&] {
         Create(pod);
         SyncKnown({});
       },
       true, true, false, true, true},
  };
  for (const Row& row : rows) Run(row);
}

}  // namespace
}  // namespace cubelet::podworkers::testing
