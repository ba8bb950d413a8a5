// AgentView: what the read-only HTTP API reads from the agent. The agent
// implements it over its pod manager, status manager and health checks; tests
// use FakeAgentView (server/fake_agent_view.h).
//
// Thread-safety: implementations must be safe to call from any thread
// concurrently (the server calls them from its worker threads).
#ifndef CUBELET_SERVER_AGENT_VIEW_H_
#define CUBELET_SERVER_AGENT_VIEW_H_

#include <vector>

#include "absl/status/status.h"
#include "api/pod.h"

namespace cubelet::server {

class AgentView {
 public:
  virtual ~AgentView() = default;
  // Every pod with its newest status (api/pod.h).
  virtual std::vector<api::Pod> GetPods() const = 0;
  // OK, or why not (e.g. the sync loop or PLEG is stuck).
  virtual absl::Status Healthy() const = 0;
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_AGENT_VIEW_H_
