// TerminationOrdering: the order in which the containers of a pod with
// sidecars (restartable init containers) get their stop signal when the pod
// is killed (upstream kuberuntime terminationOrdering).
//
// Every container's preStop hook starts at once; then a sidecar waits, for at
// most what is left of its grace period, until every main container and every
// later sidecar has stopped, so sidecars stop after the main containers, in
// reverse order. Main containers wait for nothing.
//
// One instance per pod kill, shared by the stops running in parallel.
// Thread-safe.
#ifndef CUBELET_KUBERUNTIME_TERMINATION_ORDERING_H_
#define CUBELET_KUBERUNTIME_TERMINATION_ORDERING_H_

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/pod.h"

namespace cubelet::kuberuntime {

class TerminationOrdering {
 public:
  // `running`: the names of the pod's containers being stopped; the others
  // count as stopped already.
  TerminationOrdering(const api::Pod& pod, const std::vector<std::string>& running);

  // Blocks until every container `name` must outlive has stopped, or for
  // `max` at most. Returns the time waited. A non-positive `max` never waits.
  absl::Duration WaitForTurn(const std::string& name, absl::Duration max);

  // `name` has stopped (or its stop gave up): containers waiting on it go on.
  void Terminated(const std::string& name);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> running_;                            // guarded by mu_
  std::map<std::string, std::vector<std::string>> prereqs_;  // const after construction
};

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_TERMINATION_ORDERING_H_
