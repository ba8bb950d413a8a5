// MirrorPodController: keeps one mirror pod in the API server for each static
// pod of this node (upstream pkg/kubelet/pod/mirror_client.go and the mirror
// halves of syncPod and HandlePodCleanups).
//
// A mirror pod is the static pod's copy posted to the API server so that
// kubectl and the scheduler see it: same name, namespace and spec, the
// annotation kubernetes.io/config.mirror holding the static pod's config.hash,
// and the Node as its controlling owner (so NodeRestriction admits it and
// deleting the Node removes it). The controller
//  - creates the mirror of every desired static pod that has none, once the
//    Node exists (its UID is the owner reference's);
//  - deletes (grace 0, UID precondition) a mirror whose hash no longer
//    matches its static pod, or that someone deleted, and creates it again;
//    a changed static pod's mirror is replaced only once the pod it replaces
//    has terminated (it cannot start before), so the mirror keeps its UID
//    and the old pod's status through that pod's grace period;
//  - deletes a mirror whose static pod is gone, once that pod's worker has
//    finished terminating it (upstream IsPodForMirrorPodTerminatingByFullName).
// The API source reports the mirror pods it sees (SetMirrorPods); the
// controller never runs them. Statuses go to the mirror through MirrorUid.
//
// Ownership: borrows the client and clock; owns its thread.
// Thread-safety: SetMirrorPods, Touch, MirrorUid and Writes from any thread;
// Start/Stop from one; SyncOnce is for tests that drive it without Start.
#ifndef CUBELET_MIRROR_MIRROR_PODS_H_
#define CUBELET_MIRROR_MIRROR_PODS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "client/api_client.h"
#include "nlohmann/json.hpp"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::mirror {

struct MirrorPodOptions {
  std::string node_name;
  // How often everything is compared again (missed watch events, failed
  // writes, a Node registered late).
  absl::Duration resync_period = absl::Seconds(1);
  // A pod whose write failed is left alone this long, doubling up to the max.
  absl::Duration retry_initial = absl::Seconds(1);
  absl::Duration retry_max = absl::Seconds(30);
};

struct MirrorPodDeps {
  // The desired pods (the pod manager's); only static ones are mirrored.
  std::function<std::vector<api::PodPtr>()> list_pods;
  // True while the worker of the static pod named `full_name` is still
  // terminating it: its mirror stays until then.
  std::function<bool(const std::string& full_name)> static_pod_terminating;
  // The Node's UID; empty until the Node is registered.
  std::function<std::string()> node_uid;
};

class MirrorPodController {
 public:
  MirrorPodController(client::ApiClient* client, Clock* clock, MirrorPodOptions options,
                      MirrorPodDeps deps);
  ~MirrorPodController();

  MirrorPodController(const MirrorPodController&) = delete;
  MirrorPodController& operator=(const MirrorPodController&) = delete;

  // The mirror pods the API server has for this node (all of them, after
  // every change the watch sees).
  void SetMirrorPods(const std::vector<api::PodPtr>& mirrors);

  // The desired pods changed: reconcile soon.
  void Touch();

  // The UID of the mirror pod that mirrors `static_pod` now (same full name,
  // same hash, not being deleted); nullopt when there is none yet.
  std::optional<std::string> MirrorUid(const api::Pod& static_pod) const;

  void Start();
  void Stop();

  // Compares desired static pods with the mirrors and writes what differs.
  // Returns the number of API writes made.
  int SyncOnce();

  // API writes so far (POST and DELETE).
  int64_t Writes() const;

 private:
  struct Mirror {
    std::string uid;
    std::string hash;
    bool deleting = false;
  };

  // Returns true when the mirror is gone (deleted now, or already).
  bool DeleteMirror(const std::string& full_name, const Mirror& mirror, std::string_view why);
  bool CreateMirror(const api::Pod& static_pod, const std::string& node_uid);
  // Records the outcome of a write for `full_name`'s back-off.
  void Backoff(const std::string& full_name, bool ok);
  bool BackingOff(const std::string& full_name) const;
  void Run();

  client::ApiClient* const client_;
  Clock* const clock_;
  const MirrorPodOptions options_;
  const MirrorPodDeps deps_;

  mutable Mutex mu_;
  std::map<std::string, Mirror> mirrors_ ABSL_GUARDED_BY(mu_);  // by full name
  // UIDs of mirrors we deleted that the watch may still report, and of
  // mirrors we created that it has not reported yet.
  std::set<std::string> deleted_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> created_unseen_ ABSL_GUARDED_BY(mu_);
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  struct Retry {
    absl::Duration backoff;
    absl::Time at;
  };
  std::map<std::string, Retry> retries_ ABSL_GUARDED_BY(mu_);  // by full name
  CancelTokenPtr wake_ ABSL_GUARDED_BY(mu_);

  CancelTokenPtr cancel_;
  std::thread thread_;
};

// The hash a static pod is mirrored under: its config.hash annotation (the
// UID when the annotation is missing), as upstream getPodHash.
std::string StaticPodHash(const api::Pod& pod);

// The body of the mirror pod's POST: the static pod's wire form without
// UID, creation time and status, with the mirror annotation and the Node as
// controlling owner.
nlohmann::json MirrorPodObject(const api::Pod& static_pod, const std::string& node_name,
                               const std::string& node_uid);

}  // namespace cubelet::mirror

#endif  // CUBELET_MIRROR_MIRROR_PODS_H_
