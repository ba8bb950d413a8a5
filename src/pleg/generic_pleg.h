// GenericPleg: the kubelet's GenericPLEG (pkg/kubelet/pleg/generic.go). It
// relists every pod and container from the runtime periodically, diffs each
// container's (and sandbox's) state against the previous relist, re-inspects
// the pods that changed, stores their status in the pod cache and then emits
// ContainerStarted / ContainerDied / ContainerRemoved events.
//
// Like upstream it assumes a container is not created, terminated and removed
// within one relist period; such a container is never reported. Events are
// hints: the cache is the truth, and a pod whose inspection fails keeps its
// previous record so the same events come again at the next relist.
//
// Ownership: `runtime`, `cache`, `events` and `clock` are not owned and must
// outlive the GenericPleg. It owns its relist thread (Start/Stop; the
// destructor stops it).
//
// Thread-safety: every method may be called from any thread. Relists are
// serialized (a direct Relist() waits for one running on the thread), and
// UpdateCache() is serialized with a relist's cache writes.
#ifndef CUBELET_PLEG_GENERIC_PLEG_H_
#define CUBELET_PLEG_GENERIC_PLEG_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "container/pod_cache.h"
#include "container/runtime.h"
#include "container/runtime_types.h"
#include "pleg/pleg.h"
#include "util/clock.h"
#include "util/go_duration.h"

namespace cubelet::pleg {

// Counters for metrics (the kubelet's pleg_relist_duration_seconds and
// pleg_relist_interval_seconds).
struct RelistStats {
  uint64_t relists = 0;          // attempts, successful or not
  uint64_t failed_relists = 0;   // GetPods failed
  absl::Duration last_duration;  // of the latest attempt, by the Clock
  // Between the starts of the two latest successful relists; zero before the
  // second one.
  absl::Duration last_interval;
};

struct GenericPlegOptions {
  // How long the relist thread waits between the end of one relist and the
  // start of the next (the kubelet's plegRelistPeriod).
  absl::Duration relist_period = absl::Seconds(1);
  // Healthy() fails once the last successful relist started longer ago than
  // this. Must exceed the period plus the time a relist can take, or health
  // flaps (the kubelet's relistThreshold).
  absl::Duration relist_threshold = absl::Minutes(3);
  // After a failed relist the next comes this soon even when relist_period
  // is longer (a loosened period behind an event stream must not leave a
  // relist that failed, e.g. just as containerd came back, for minutes).
  absl::Duration failed_relist_retry = absl::Seconds(1);
  // Receives the diagnostics the kubelet logs (relist and inspection errors,
  // dropped events, container exit codes). Null: discarded. Called from the
  // relisting thread, without GenericPleg's locks held.
  std::function<void(std::string_view)> log;
  // Called after every relist attempt with the counters as of its end (the
  // agent feeds its relist metrics from it). Same thread rules as `log`.
  std::function<void(const RelistStats&)> on_relist;
};

class GenericPleg final : public PodLifecycleEventGenerator {
 public:
  using Options = GenericPlegOptions;

  GenericPleg(container::Runtime* runtime, container::PodCache* cache, EventChannel* events,
              const Clock* clock, Options options = {});
  ~GenericPleg() override;

  GenericPleg(const GenericPleg&) = delete;
  GenericPleg& operator=(const GenericPleg&) = delete;

  // ---- PodLifecycleEventGenerator ----
  // Relists at once, then every relist_period, on a thread it owns.
  void Start() override;
  // Wakes the thread from its wait and joins it (after the relist in
  // progress, if any).
  void Stop() override;
  // "pleg has yet to be successful" before the first successful relist;
  // "pleg was last seen active <elapsed> ago; threshold is <threshold>" once
  // the last one started more than relist_threshold ago.
  absl::Status Healthy() const override;

  // One relist: list, diff, inspect changed pods, write the cache, emit
  // events, then mark the whole cache fresh as of the relist's start. Tests
  // call it directly instead of Start().
  void Relist();

  // Re-inspects `pod` now and stores the result in the cache, as a relist
  // does for a changed pod (pod IPs preserved the same way). For sources
  // other than the relist (an event-driven PLEG reacting to a runtime event).
  // Returns the inspection error, which is also stored in the cache.
  absl::Status UpdateCache(const container::Pod& pod);

  // Re-reads one pod now (the uid, name and namespace of `pod`; its
  // containers are ignored) and treats the result as a relist would: stores
  // it in the cache (a pod with nothing left is deleted from it), diffs it
  // against the last delivered view of the pod, emits the events and makes
  // the result the new view, so the next relist does not report the same
  // changes again. For the event-driven PLEG, which reacts to one
  // container's event at the cost of one pod, not of every pod. Returns the
  // status read (null when nothing is left of the pod) or the inspection
  // error (the pod is then reinspected at the next relist).
  absl::StatusOr<container::PodStatusPtr> RelistPod(const container::Pod& pod);

  // As RelistPod, but with a status already in the cache (a pod worker's
  // own read, newer than the event being handled) instead of a new
  // inspection: diffs, emits and makes it the delivered view; the cache is
  // left as it is.
  void AdoptStatus(const std::string& uid, const container::PodStatusPtr& status);

  // The pod (uid, name, namespace; no containers) a container or sandbox id
  // belonged to in the last delivered view; nullopt for an id not seen yet.
  std::optional<container::Pod> PodOfContainer(const std::string& container_id);

  // Every pod of the delivered view (what the relists and the event-driven
  // re-reads last reported), unordered: a runtime cache for housekeeping
  // that costs no CRI call. Nullopt while it cannot be trusted or had
  // better not be waited for: before the first successful relist, after a
  // failed one, and while a relist or re-read is in progress.
  std::optional<std::vector<container::PodPtr>> DeliveredPods();

  // Changes the period and threshold (the kubelet loosens both while an
  // event-driven PLEG is in use). A change wakes the relist thread, which
  // relists at once and then waits the new period.
  void SetRelistDurations(absl::Duration relist_period, absl::Duration relist_threshold);

  // Start time of the latest successful relist; InfinitePast() if none.
  absl::Time LastRelistTime() const;
  RelistStats Stats() const;

 private:
  // A pod as of the last relist whose events were delivered (`old`) and as
  // of the current relist (`current`); either may be absent.
  // A pod the runtime did not change between two relists comes back as the
  // same object (Runtime::ListPodsForRelist), so `old == current` needs no
  // diff.
  struct PodRecord {
    container::PodPtr old;
    container::PodPtr current;
  };

  // Per-container diff between two views of one pod, in a stable order (old
  // containers, old sandboxes, then the new ones).
  static std::vector<PodLifecycleEvent> ComputeEvents(const std::string& uid,
                                                      const container::Pod* old_pod,
                                                      const container::Pod* new_pod);

  // Inspects the pod and writes the cache; a pod absent from the runtime
  // (`pod` null) has its entry deleted and yields a null status. Takes
  // cache_mu_. Diagnostics are appended to `logs`.
  absl::StatusOr<container::PodStatusPtr> InspectAndStore(const std::string& uid,
                                                          const container::Pod* pod,
                                                          std::vector<std::string>& logs);
  // Pushes `events` (exit codes filled in from `status`), skipping the
  // ContainerChanged ones nothing acts on. Needs relist_mu_.
  void EmitEvents(const std::string& uid, std::vector<PodLifecycleEvent>& events,
                  const container::PodStatusPtr& status, std::vector<std::string>& logs);
  // The second half of RelistPod: `status` (null: nothing left) becomes
  // the delivered view, with its events. Needs relist_mu_.
  void DeliverLocked(const std::string& uid, const container::PodStatusPtr& status,
                     std::vector<std::string>& logs);
  // Makes `pod` the delivered view of `uid` (null: none), keeping
  // pod_of_container_ in step. Needs relist_mu_.
  void SetDelivered(const std::string& uid, container::PodPtr pod);
  void RelistLoop();
  void Log(std::vector<std::string>& logs) const;

  container::Runtime* const runtime_;
  container::PodCache* const cache_;
  EventChannel* const events_;
  const Clock* const clock_;
  const std::function<void(std::string_view)> log_;
  const std::function<void(const RelistStats&)> on_relist_;

  // Serializes relists; guards records_ and pods_to_reinspect_.
  std::mutex relist_mu_;
  std::map<std::string, PodRecord> records_;  // ordered: deterministic event order
  std::set<std::string> pods_to_reinspect_;   // inspection failed at the last relist
  // Container and sandbox ids of the delivered views -> pod uid.
  absl::flat_hash_map<std::string, std::string> pod_of_container_;

  // Serializes inspect-then-Set, because container::PreservePodIps reads the entry it
  // is about to replace.
  std::mutex cache_mu_;

  // Guards the timing state and durations below.
  mutable std::mutex state_mu_;
  absl::Time last_relist_time_ = absl::InfinitePast();
  RelistStats stats_;
  absl::Duration relist_period_;
  absl::Duration relist_threshold_;
  const absl::Duration failed_relist_retry_;
  bool last_relist_failed_ = false;

  // Start/Stop hold lifecycle_mu_ throughout, so a Start cannot race the
  // join of a Stop. run_mu_ guards stop_requested_ for the thread's waits.
  std::mutex lifecycle_mu_;
  std::mutex run_mu_;
  std::condition_variable run_cv_;
  bool stop_requested_ = false;
  bool durations_changed_ = false;
  std::thread thread_;
};

}  // namespace cubelet::pleg

#endif  // CUBELET_PLEG_GENERIC_PLEG_H_
