// ApiStatusSyncer: writes the statuses the StatusManager holds to the API
// server (the sync half of upstream's status_manager.go): pods from the "api"
// source, and static pods through their mirror pods when `mirror_uid` is
// given (the status goes to the mirror, with the mirror's UID as
// precondition, and again whenever the mirror is recreated). Each change the StatusManager reports
// queues the pod; a single thread sends, for each queued pod, its newest status as a strategic
// merge PATCH of pods/<name>/status carrying metadata.uid as precondition, so
// several changes in a row cost one write, a status never overtakes a newer
// one, and a pod recreated under the same name is never written over.
//
// A terminal phase is not written while a container of the pod is running
// and its worker has not finished (VersionedPodStatus::pod_is_finished): the
// phase, reason and message the API server has are sent instead, so no pod
// is Failed or Succeeded while a container of it may still run (upstream
// mergePodStatus). A pod that runs nothing (refused at admission) goes
// terminal at once.
//
// Graceful deletion ends here too: once a pod with a deletionTimestamp has a
// terminal phase and its worker finished (SyncTerminatedPod released its
// resources: VersionedPodStatus::pod_is_finished), the pod is deleted with
// grace 0 and a UID precondition (upstream canBeDeleted), and never before.
//
// Failed writes are retried with back-off (500 ms doubling to 10 s); a pod
// the API server no longer has (404, or 409 on the UID precondition) is
// dropped. Every `resync_period` the desired pods are scanned for statuses
// not yet written and deletions now allowed, which also catches a deletion
// that arrives after the pod had finished.
//
// Ownership: borrows the client, status manager and clock; owns its thread.
// Thread-safety: OnStatusChange from any thread; Start/Stop from one;
// SyncOnce is for tests that drive it without Start.
#ifndef CUBELET_STATUS_API_STATUS_SYNCER_H_
#define CUBELET_STATUS_API_STATUS_SYNCER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "client/api_client.h"
#include "status/status_manager.h"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::status {

struct ApiStatusSyncerOptions {
  std::string host_ip;  // the node's address, for hostIP and host-network pod IPs
  absl::Duration resync_period = absl::Seconds(1);
  absl::Duration retry_initial = absl::Milliseconds(500);
  absl::Duration retry_max = absl::Seconds(10);
  // The UID of the mirror pod of a static pod, nullopt while it has none;
  // unset: static pods are not written.
  std::function<std::optional<std::string>(const api::Pod& static_pod)> mirror_uid;
};

class ApiStatusSyncer {
 public:
  // `list_pods` gives the desired pods (the pod manager's); `get_pod` one of
  // them by UID (null when it is gone).
  ApiStatusSyncer(client::ApiClient* client, StatusManager* statuses, Clock* clock,
                  std::function<std::vector<api::PodPtr>()> list_pods,
                  std::function<api::PodPtr(const std::string& uid)> get_pod,
                  ApiStatusSyncerOptions options = {});
  ~ApiStatusSyncer();

  ApiStatusSyncer(const ApiStatusSyncer&) = delete;
  ApiStatusSyncer& operator=(const ApiStatusSyncer&) = delete;

  // Queues `uid` (the StatusManager listener, or a deletion seen).
  void Touch(const std::string& uid);

  void Start();
  void Stop();

  // Handles every queued pod whose retry time has come; with `resync`, first
  // queues what the scan finds. Returns the number of API writes made.
  int SyncOnce(bool resync);

  // API writes so far (PATCH and DELETE), for metrics and the benchmark.
  int64_t Writes() const;

 private:
  struct PodState {
    uint64_t synced_version = 0;
    std::string synced_uid;  // the API object written to
    bool deleted = false;    // the DELETE went through (or the pod was gone)
    absl::Duration backoff = absl::ZeroDuration();
    absl::Time retry_at = absl::InfinitePast();
  };

  // Sends what `uid` needs; returns the writes made.
  int SyncPod(const std::string& uid);
  // The UID of the API object `pod`'s status goes to; nullopt: none (yet).
  std::optional<std::string> ApiUid(const api::Pod& pod) const;
  bool NeedsSync(const api::Pod& pod, const std::string& api_uid, const VersionedPodStatus& status,
                 const PodState& state) const;
  void Run();

  client::ApiClient* const client_;
  StatusManager* const statuses_;
  Clock* const clock_;
  const std::function<std::vector<api::PodPtr>()> list_pods_;
  const std::function<api::PodPtr(const std::string&)> get_pod_;
  const ApiStatusSyncerOptions options_;

  mutable Mutex mu_;
  absl::flat_hash_set<std::string> queued_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, PodState> pods_ ABSL_GUARDED_BY(mu_);  // by UID
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  CancelTokenPtr wake_ ABSL_GUARDED_BY(mu_);

  CancelTokenPtr cancel_;
  std::thread thread_;
};

// The body of the status PATCH for `pod` with `status`: metadata.uid (`uid`,
// or the pod's own when empty) as the precondition and the status in its
// wire form. What the kubelet owns but
// left empty is sent as null so a stale value is cleared: the status's
// message and reason, and each condition's (conditions merge by type).
nlohmann::json StatusPatch(const api::Pod& pod, const api::PodStatus& status,
                           std::string_view uid = {});

}  // namespace cubelet::status

#endif  // CUBELET_STATUS_API_STATUS_SYNCER_H_
