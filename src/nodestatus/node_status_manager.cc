#include "nodestatus/node_status_manager.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "util/log.h"
#include "util/random.h"

namespace cubelet::nodestatus {
namespace {

using nlohmann::json;

constexpr absl::Duration kRegisterBackoffInitial = absl::Milliseconds(100);
constexpr absl::Duration kRegisterBackoffMax = absl::Seconds(7);

std::string NodePath(const std::string& name) { return absl::StrCat("/api/v1/nodes/", name); }

// The status ("True", "False", "Unknown") of the condition of `type`, empty
// when there is none.
std::string ConditionStatus(const json& status, std::string_view type) {
  if (!status.is_object() || !status.contains("conditions")) return "";
  for (const json& c : status["conditions"]) {
    if (c.is_object() && c.value("type", "") == type) return c.value("status", "");
  }
  return "";
}

std::string FindReady(const json& status) { return ConditionStatus(status, "Ready"); }

// The node events the kubelet's condition setters record (nodestatus
// setters.go) when a condition changes between `before` and `after`. A
// pressure condition reports its first value too (the setter starts from
// Unknown); Ready only a transition, so a restarted agent finding its Node
// Ready says nothing.
std::vector<std::string> ConditionEvents(const json& before, const json& after) {
  struct Pressure {
    const char* type;
    const char* when_false;
    const char* when_true;
  };
  static constexpr Pressure kPressures[] = {
      {"MemoryPressure", "NodeHasSufficientMemory", "NodeHasInsufficientMemory"},
      {"DiskPressure", "NodeHasNoDiskPressure", "NodeHasDiskPressure"},
      {"PIDPressure", "NodeHasSufficientPID", "NodeHasInsufficientPID"},
  };
  std::vector<std::string> reasons;
  for (const Pressure& p : kPressures) {
    const std::string now = ConditionStatus(after, p.type);
    if (now == ConditionStatus(before, p.type)) continue;
    if (now == "False") reasons.push_back(p.when_false);
    if (now == "True") reasons.push_back(p.when_true);
  }
  const std::string ready_before = FindReady(before);
  const std::string ready_now = FindReady(after);
  if (!ready_before.empty() && !ready_now.empty() && ready_before != ready_now) {
    reasons.push_back(ready_now == "True" ? "NodeReady" : "NodeNotReady");
  }
  return reasons;
}

}  // namespace

NodeStatusManager::NodeStatusManager(client::ApiClient* client, Clock* clock,
                                     NodeStatusOptions options, InputsFunc inputs)
    : client_(client), clock_(clock), options_(std::move(options)), inputs_(std::move(inputs)) {}

NodeStatusManager::~NodeStatusManager() { Stop(); }

void NodeStatusManager::Start() {
  if (thread_.joinable()) return;
  // What the kubelet records as it starts, on the node by name (its nodeRef).
  if (options_.recorder != nullptr) {
    options_.recorder->Event(events::NodeReference(options_.config.name), events::kNormal,
                             "Starting", "Starting kubelet.");
  }
  cancel_ = CancelToken::Create();
  thread_ = std::thread([this] { Run(); });
}

void NodeStatusManager::Stop() {
  if (!thread_.joinable()) return;
  cancel_->Cancel();
  thread_.join();
}

bool NodeStatusManager::Registered() const {
  MutexLock lock(&mu_);
  return registered_;
}

std::string NodeStatusManager::NodeUid() const {
  MutexLock lock(&mu_);
  return node_uid_;
}

json NodeStatusManager::LastStatus() const {
  MutexLock lock(&mu_);
  return last_report_ == absl::InfinitePast() ? json() : last_status_;
}

absl::Status NodeStatusManager::LastError() const {
  MutexLock lock(&mu_);
  return last_error_;
}

absl::Status NodeStatusManager::Register() {
  const std::string& name = options_.config.name;
  json existing;
  if (options_.register_node) {
    absl::StatusOr<json> created =
        client_->Call({.verb = client::Verb::kPost,
                       .path = "/api/v1/nodes",
                       .body = InitialNode(options_.config, options_.machine)});
    if (created.ok()) {
      MutexLock lock(&mu_);
      registered_ = true;
      node_uid_ = (*created)["metadata"].value("uid", "");
      LOG(INFO) << "Successfully registered node " << name;
      return absl::OkStatus();
    }
    if (!client::IsAlreadyExists(created.status())) {
      return absl::Status(created.status().code(),
                          absl::StrCat("unable to register node ", name,
                                       " with the API server: ", created.status().message()));
    }
  }
  absl::StatusOr<json> got = client_->Call({.verb = client::Verb::kGet, .path = NodePath(name)});
  if (!got.ok()) {
    return absl::Status(got.status().code(),
                        absl::StrCat("unable to get node ", name, ": ", got.status().message()));
  }
  existing = std::move(*got);
  // A node that existed before keeps its object; the labels the kubelet owns
  // are put back as they must be (upstream updateDefaultLabels).
  json labels_patch = json::object();
  const json labels = existing["metadata"].value("labels", json::object());
  for (const auto& [key, value] : DefaultLabels(options_.config, options_.machine)) {
    if (!labels.contains(key) || labels[key] != value) labels_patch[key] = value;
  }
  if (!labels_patch.empty() && options_.register_node) {
    absl::StatusOr<json> patched =
        client_->Call({.verb = client::Verb::kPatch,
                       .path = NodePath(name),
                       .body = {{"metadata", {{"labels", labels_patch}}}}});
    if (!patched.ok()) {
      return absl::Status(patched.status().code(),
                          absl::StrCat("unable to reconcile the labels of node ", name, ": ",
                                       patched.status().message()));
    }
  }
  MutexLock lock(&mu_);
  registered_ = true;
  node_uid_ = existing["metadata"].value("uid", "");
  last_status_ = existing.value("status", json::object());
  LOG(INFO) << "Node " << name << " was previously registered";
  return absl::OkStatus();
}

absl::Status NodeStatusManager::UpdateStatus() {
  const NodeInputs inputs = inputs_();
  const absl::Time now = clock_->Now();
  json status;
  {
    MutexLock lock(&mu_);
    status = BuildNodeStatus(options_.config, options_.machine, inputs, now, last_status_);
    ready_ = inputs.readiness.ok();
    const bool changed =
        last_report_ == absl::InfinitePast() || NodeStatusChanged(last_status_, status);
    if (!changed && now - last_report_ < options_.report_frequency) return absl::OkStatus();
  }
  absl::StatusOr<json> patched =
      client_->Call({.verb = client::Verb::kPatch,
                     .path = absl::StrCat(NodePath(options_.config.name), "/status"),
                     .body = {{"status", status}}});
  if (!patched.ok()) {
    return absl::Status(patched.status().code(),
                        absl::StrCat("error updating node status: ", patched.status().message()));
  }
  MutexLock lock(&mu_);
  if (options_.recorder != nullptr) {
    for (const std::string& reason : ConditionEvents(last_status_, status)) {
      options_.recorder->Event(
          events::NodeReference(options_.config.name), events::kNormal, reason,
          absl::StrCat("Node ", options_.config.name, " status is now: ", reason));
    }
  }
  if (last_report_ == absl::InfinitePast() || FindReady(last_status_) != FindReady(status)) {
    LOG(INFO) << "Node " << options_.config.name << " status: Ready="
              << (ready_ ? "True" : absl::StrCat("False (", inputs.readiness.message(), ")"));
  }
  last_status_ = std::move(status);
  last_report_ = now;
  return absl::OkStatus();
}

absl::Status NodeStatusManager::SyncOnce() {
  absl::Status result;
  if (!Registered()) result = Register();
  if (result.ok()) result = UpdateStatus();
  MutexLock lock(&mu_);
  if (!result.ok() && result.message() != last_error_.message()) {
    LOG(WARNING) << result.message();
  }
  last_error_ = result;
  return result;
}

void NodeStatusManager::Run() {
  absl::Duration register_backoff = kRegisterBackoffInitial;
  while (!cancel_->IsCancelled()) {
    absl::Status s = SyncOnce();
    absl::Duration wait;
    if (!Registered()) {
      wait = register_backoff;
      register_backoff = std::min(register_backoff * 2, kRegisterBackoffMax);
    } else {
      bool ready;
      {
        MutexLock lock(&mu_);
        ready = ready_;
      }
      wait = ready && s.ok() ? Jitter(options_.update_frequency, 0.04)
                             : std::min(options_.not_ready_frequency, options_.update_frequency);
    }
    clock_->SleepFor(wait, cancel_);
  }
}

}  // namespace cubelet::nodestatus
