// LeaseController: the node's heartbeat, the Lease kube-node-lease/<node>
// (upstream component-helpers/apimachinery/lease's controller with the
// kubelet's settings): holderIdentity the node, leaseDurationSeconds 40,
// renewTime moved every 10 s (a quarter of the duration), an owner reference
// to the Node once its UID is known. The node lifecycle controller marks the
// node NotReady when the Lease goes stale, so this must keep beating while
// the node status is patched only on change.
//
// A missing Lease is created; an update that conflicts re-reads it and tries
// again (at most 5 times a turn, as upstream); errors back off from 200 ms
// up to the renew interval.
//
// Ownership: borrows the client and clock; owns its thread.
// Thread-safety: Start/Stop from one thread; the accessors from any thread.
// SyncOnce is for tests that drive it without Start.
#ifndef CUBELET_NODESTATUS_LEASE_CONTROLLER_H_
#define CUBELET_NODESTATUS_LEASE_CONTROLLER_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "nlohmann/json.hpp"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::nodestatus {

struct LeaseOptions {
  std::string node_name;
  int lease_duration_seconds = 40;
  absl::Duration renew_interval = absl::Seconds(10);
};

class LeaseController {
 public:
  // `node_uid` gives the Node's UID, or "" while it is not registered yet.
  LeaseController(client::ApiClient* client, Clock* clock, LeaseOptions options,
                  std::function<std::string()> node_uid);
  ~LeaseController();

  LeaseController(const LeaseController&) = delete;
  LeaseController& operator=(const LeaseController&) = delete;

  void Start();
  void Stop();

  // One renewal: creates the Lease if missing, else moves its renewTime.
  absl::Status SyncOnce();

  // The renewTime last written (InfinitePast before the first).
  absl::Time LastRenewal() const;

 private:
  nlohmann::json NewLease(absl::Time now) const;
  // Sets the fields this node owns on `lease` (renewTime, holder, duration,
  // owner reference).
  void Fill(nlohmann::json& lease, absl::Time now) const;
  void Run();

  client::ApiClient* const client_;
  Clock* const clock_;
  const LeaseOptions options_;
  const std::function<std::string()> node_uid_;
  const std::string path_;

  mutable Mutex mu_;
  nlohmann::json latest_ ABSL_GUARDED_BY(mu_);  // the Lease as last read or written
  absl::Time last_renewal_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  CancelTokenPtr cancel_;
  std::thread thread_;
};

// A Go metav1.MicroTime: "2024-01-02T03:04:05.123456Z".
std::string FormatMicroTime(absl::Time t);

}  // namespace cubelet::nodestatus

#endif  // CUBELET_NODESTATUS_LEASE_CONTROLLER_H_
