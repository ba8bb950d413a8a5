// Housekeeping (upstream HandlePodCleanups in kubelet_pods.go): every 2 s,
// once every source has been seen, the sync loop reconciles what the pod
// workers, the runtime and the host hold with the desired pods.
#include <malloc.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "api/format.h"
#include "asio/post.hpp"
#include "kubelet/kubelet.h"
#include "kuberuntime/pod_cgroup.h"
#include "util/log.h"

namespace cubelet::kubelet {
void Kubelet::HandlePodCleanups() {
  metrics_.housekeeping_runs->Inc();
  const std::vector<api::PodPtr> desired = pod_manager_.GetPods();
  absl::flat_hash_set<std::string> desired_uids;
  for (const api::PodPtr& pod : desired) desired_uids.insert(pod->metadata.uid);
  absl::flat_hash_map<std::string, podworkers::PodWorkerSync> working =
      pod_workers_->SyncKnownPods(desired);

  // What the agent still remembers of pods it no longer knows goes.
  absl::flat_hash_set<std::string> known = desired_uids;
  for (const auto& [uid, sync] : working) known.insert(uid);
  for (const std::string& uid : known_last_housekeeping_) {
    if (!known.contains(uid)) {
      syncer_.ForgetPod(uid);
      pod_manager_.Forget(uid);
    }
  }
  known_last_housekeeping_ = known;
  status_manager_.RemoveOrphanedStatuses(known);
  prober_manager_->CleanupPods(desired_uids);

  // The PLEG's view is the runtime cache (upstream: runtimeCache), kept
  // current by the event stream or the relist: no CRI list every 2 s. While
  // it is not to be trusted (no relist yet, the last failed) or is busy, the
  // CRI is asked.
  std::vector<container::PodPtr> runtime_pods;
  if (std::optional<std::vector<container::PodPtr>> view = pleg_->DeliveredPods()) {
    runtime_pods = *std::move(view);
  } else {
    absl::StatusOr<std::vector<container::Pod>> listed = runtime_manager_.GetPods(true);
    if (!listed.ok()) {
      LOG(ERROR) << "Housekeeping: unable to list runtime pods: " << listed.status();
      return;
    }
    runtime_pods.reserve(listed->size());
    for (container::Pod& p : *listed) {
      runtime_pods.push_back(std::make_shared<const container::Pod>(std::move(p)));
    }
  }
  double running_pods = 0;
  absl::flat_hash_map<std::string, double> containers_by_state;
  for (const container::PodPtr& runtime_pod : runtime_pods) {
    const container::Pod& rp = *runtime_pod;
    bool sandbox_ready = false;
    bool any_running = false;
    for (const container::Container& s : rp.sandboxes) {
      if (s.state == container::ContainerState::kRunning) sandbox_ready = any_running = true;
    }
    for (const container::Container& c : rp.containers) {
      containers_by_state[container::ToString(c.state)] += 1;
      if (c.state == container::ContainerState::kRunning ||
          c.state == container::ContainerState::kCreated) {
        any_running = true;
      }
    }
    if (sandbox_ready) running_pods += 1;
    // A desired pod's worker (re-)starts below and owns what is there.
    if (desired_uids.contains(rp.id)) continue;
    if (any_running) {
      if (working.contains(rp.id)) continue;  // its worker stops it
      // Orphaned runtime pod: kill it at once (upstream: grace 1).
      LOG(INFO) << "Killing orphaned runtime pod " << rp.name << "_" << rp.namespace_ << "("
                << rp.id << ")";
      podworkers::UpdatePodOptions kill;
      kill.update_type = podworkers::SyncPodType::kKill;
      kill.running_pod = runtime_pod;
      podworkers::KillPodOptions kill_options;
      kill_options.grace_period_override = 1;
      kill.kill_pod_options = std::move(kill_options);
      pod_workers_->UpdatePod(std::move(kill));
    } else if (pod_workers_->ShouldPodContentBeRemoved(rp.id)) {
      // Dead, unwanted, and the pod workers say its content may go (it is
      // unknown to them, or deleted/evicted and terminated): remove the
      // sandboxes (their containers and logs go with them), its volumes and
      // the pod cgroup.
      RemoveRuntimePodAsync(rp);
    }
  }
  if (clock_->Now() >= next_container_gc_) {
    next_container_gc_ = clock_->Now() + options_.container_gc_period;
    std::vector<container::Pod> staying;
    for (const container::PodPtr& rp : runtime_pods) {
      if (working.contains(rp->id) || desired_uids.contains(rp->id)) staying.push_back(*rp);
    }
    CollectDeadContainersAsync(std::move(staying));
    // glibc keeps what a burst of pod starts freed (measured: 45 -> 40 MiB
    // with 300 pods, docs/benchmarks.md); hand it back once a minute.
    malloc_trim(0);
  }
  metrics_.running_pods->Set(running_pods);
  for (const char* state : {"created", "running", "exited", "unknown"}) {
    auto it = containers_by_state.find(state);
    metrics_.running_containers->WithLabels({state})->Set(
        it == containers_by_state.end() ? 0 : it->second);
  }

  // Desired pods without a worker (purged after finishing, e.g. when their
  // UID came back) start again.
  for (const api::PodPtr& pod : desired) {
    if (working.contains(pod->metadata.uid)) continue;
    // Only admitted pods (upstream: the active pods); a rejected one never runs.
    if (pod_manager_.IsRejected(pod->metadata.uid)) continue;
    VLOG(1) << "Housekeeping: starting worker for desired pod " << FormatPod(*pod);
    DispatchWork(podworkers::SyncPodType::kCreate, pod);
  }

  if (options_.manage_host_state) {
    absl::flat_hash_set<std::string> keep = known;
    for (const container::PodPtr& rp : runtime_pods) keep.insert(rp->id);
    volume_manager_.CleanupOrphanedPodDirs(keep);
    kuberuntime::RemoveOrphanedPodCgroups(options_.cgroup_root, keep, options_.cgroup_fs);
  }
  runtime_manager_.crash_loop_backoff().GC();
  runtime_manager_.image_pull_backoff().GC();
}

void Kubelet::RemoveRuntimePodAsync(const container::Pod& running_pod) {
  {
    std::lock_guard<std::mutex> lock(removing_mu_);
    if (!removing_.insert(running_pod.id).second) return;  // already queued
  }
  // Off the sync loop: removing a sandbox takes a few CRI calls, and a
  // hundred of them must not hold up config updates and PLEG events.
  asio::post(executor_, [this, alive = std::weak_ptr<int>(alive_), running_pod] {
    if (alive.expired()) return;
    VLOG(1) << "Removing terminated runtime pod " << running_pod.name << "_"
            << running_pod.namespace_ << "(" << running_pod.id << ")";
    if (absl::Status s = runtime_manager_.RemovePod(running_pod); !s.ok()) {
      LOG(WARNING) << "Failed to remove runtime pod " << running_pod.id << ": " << s;
    } else {
      pod_cache_.Delete(running_pod.id);
    }
    std::lock_guard<std::mutex> lock(removing_mu_);
    removing_.erase(running_pod.id);
  });
}

void Kubelet::CollectDeadContainersAsync(std::vector<container::Pod> pods) {
  asio::post(executor_, [this, alive = std::weak_ptr<int>(alive_), pods = std::move(pods)] {
    if (alive.expired()) return;
    for (const container::Pod& pod : pods) {
      absl::StatusOr<int> removed = runtime_manager_.RemoveDeadContainers(pod);
      if (!removed.ok()) {
        LOG(WARNING) << "Container GC of pod " << pod.id << ": " << removed.status();
      } else if (*removed > 0) {
        VLOG(1) << "Container GC removed " << *removed << " dead containers of pod " << pod.name
                << "_" << pod.namespace_ << "(" << pod.id << ")";
      }
    }
  });
}

}  // namespace cubelet::kubelet
