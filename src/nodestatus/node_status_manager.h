// NodeStatusManager: the node's registration and status in the API server
// (upstream kubelet_node_status.go: registerWithAPIServer, syncNodeStatus,
// updateNodeStatus). Registers the Node (POST; on AlreadyExists it GETs the
// Node and puts back the default labels it must carry), then checks the status
// every update_frequency and PATCHes nodes/<name>/status when it changed or
// report_frequency has passed since the last report (the kubelet's 10 s and
// 5 min; the Lease is the heartbeat in between).
//
// Until the node is Ready the status is checked every second, so a node turns
// Ready about a second after its runtime does, not ten (upstream's
// fastStatusUpdateOnce does the same at start-up). Condition changes are
// recorded as the kubelet's node events once the API server took them.
//
// Ownership: borrows the client and clock (must outlive it); owns its thread.
// Thread-safety: Start/Stop from one thread; the accessors from any thread.
// SyncOnce is for tests that drive it without Start.
#ifndef CUBELET_NODESTATUS_NODE_STATUS_MANAGER_H_
#define CUBELET_NODESTATUS_NODE_STATUS_MANAGER_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/api_client.h"
#include "events/recorder.h"
#include "nlohmann/json.hpp"
#include "nodestatus/machine_info.h"
#include "nodestatus/node_status.h"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::nodestatus {

struct NodeStatusOptions {
  NodeConfig config;
  MachineInfo machine;
  bool register_node = true;                            // --register-node
  absl::Duration update_frequency = absl::Seconds(10);  // nodeStatusUpdateFrequency
  absl::Duration report_frequency = absl::Minutes(5);   // nodeStatusReportFrequency
  absl::Duration not_ready_frequency = absl::Seconds(1);
  // Where the node's events go (Starting, NodeHasSufficientMemory, NodeReady,
  // NodeNotReady, ...); not owned; null: nowhere.
  events::EventRecorder* recorder = nullptr;
};

class NodeStatusManager {
 public:
  using InputsFunc = std::function<NodeInputs()>;

  NodeStatusManager(client::ApiClient* client, Clock* clock, NodeStatusOptions options,
                    InputsFunc inputs);
  ~NodeStatusManager();

  NodeStatusManager(const NodeStatusManager&) = delete;
  NodeStatusManager& operator=(const NodeStatusManager&) = delete;

  void Start();
  void Stop();

  // One turn: registers if not yet done, then reports the status if it is
  // due. Returns the first error.
  absl::Status SyncOnce();

  bool Registered() const;
  // The Node's metadata.uid once registered (mirror pods and the Lease point
  // at it); empty before.
  std::string NodeUid() const;
  // The last status the API server accepted (null before the first).
  nlohmann::json LastStatus() const;
  // OK, or the last registration or update error (for /healthz detail and
  // the node's own log).
  absl::Status LastError() const;

 private:
  absl::Status Register();
  absl::Status UpdateStatus();
  void Run();

  client::ApiClient* const client_;
  Clock* const clock_;
  const NodeStatusOptions options_;
  const InputsFunc inputs_;

  mutable Mutex mu_;
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  std::string node_uid_ ABSL_GUARDED_BY(mu_);
  // What was last sent (or, before the first report, the status found on a
  // Node that already existed): transition times carry over from it, and a
  // report is due when the new status differs from it.
  nlohmann::json last_status_ ABSL_GUARDED_BY(mu_);
  absl::Time last_report_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  bool ready_ ABSL_GUARDED_BY(mu_) = false;

  CancelTokenPtr cancel_;
  std::thread thread_;
};

}  // namespace cubelet::nodestatus

#endif  // CUBELET_NODESTATUS_NODE_STATUS_MANAGER_H_
