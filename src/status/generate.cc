#include "status/generate.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/restart_policy.h"
#include "status/qos.h"

namespace cubelet::status {

api::ContainerStateTerminated NotLocatedAtTermination() {
  return api::ContainerStateTerminated{
      .exit_code = 137,
      .reason = kContainerStatusUnknown,
      .message = "The container could not be located when the pod was terminated"};
}
namespace {

using container::ContainerState;

std::optional<absl::Time> OptTime(absl::Time t) {
  if (t == absl::InfinitePast()) return std::nullopt;
  return t;
}

const api::ContainerStatus* FindStatus(const std::vector<api::ContainerStatus>& list,
                                       const std::string& name) {
  for (const api::ContainerStatus& s : list) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const api::ContainerStatus* FindStatus(const std::vector<api::ContainerStatus>& a,
                                       const std::vector<api::ContainerStatus>& b,
                                       const std::string& name) {
  const api::ContainerStatus* s = FindStatus(a, name);
  return s != nullptr ? s : FindStatus(b, name);
}

// Go's fmt %s of a []string: "[a b]".
std::string GoList(const std::vector<std::string>& names) {
  return absl::StrCat("[", absl::StrJoin(names, " "), "]");
}

// kubecontainer.ShouldContainerBeRestarted (kept local so status does not
// depend on kuberuntime).
bool ShouldContainerBeRestarted(const api::Container& c, const api::Pod& pod,
                                const container::PodStatus& rs) {
  if (pod.metadata.deletion_timestamp.has_value()) return false;
  const container::ContainerStatus* cs = rs.FindContainerStatusByName(c.name);
  if (cs == nullptr) return true;
  if (cs->state == ContainerState::kRunning) return false;
  if (cs->state == ContainerState::kUnknown || cs->state == ContainerState::kCreated) return true;
  return api::ContainerShouldRestart(c, pod.spec, cs->exit_code);
}

api::ContainerStatus ConvertContainerStatus(const container::ContainerStatus& cs,
                                            const api::ContainerStatus* old) {
  api::ContainerStatus s;
  s.name = cs.name;
  s.restart_count = cs.restart_count;
  s.image = cs.image;
  s.image_id = cs.image_id;
  s.container_id = absl::StrCat(kContainerIdPrefix, cs.id);
  switch (cs.state) {
    case ContainerState::kRunning:
      s.state.running = api::ContainerStateRunning{.started_at = OptTime(cs.started_at)};
      break;
    case ContainerState::kCreated:
      // Created but not running: waiting to run.
      s.state.waiting = api::ContainerStateWaiting{};
      break;
    case ContainerState::kExited: {
      std::string reason = cs.reason;
      if (reason.empty()) reason = cs.exit_code == 0 ? kReasonCompleted : kReasonError;
      s.state.terminated = api::ContainerStateTerminated{.exit_code = cs.exit_code,
                                                         .reason = std::move(reason),
                                                         .message = cs.message,
                                                         .started_at = OptTime(cs.started_at),
                                                         .finished_at = OptTime(cs.finished_at),
                                                         .container_id = s.container_id};
      break;
    }
    case ContainerState::kUnknown:
      if (old != nullptr && old->state.running.has_value()) {
        // It ran and the runtime lost track of it: report it as ended, not
        // as never run, so run-once pods do not look restartable.
        s.state.terminated = NotLocatedAtTermination();
        s.restart_count = old->restart_count + 1;
      } else {
        s.state.waiting = api::ContainerStateWaiting{};
      }
      break;
  }
  return s;
}

// The container's mounts as its status reports them. cubelet's runtimes
// have no recursive read-only mounts (a pod that asks for them is refused
// when its container is made), so a read-only mount is "Disabled", as
// upstream's resolveRecursiveReadOnly without runtime support.
std::vector<api::VolumeMountStatus> VolumeMountStatuses(const api::Container& c) {
  std::vector<api::VolumeMountStatus> out;
  for (const api::VolumeMount& m : c.volume_mounts) {
    api::VolumeMountStatus s{.name = m.name, .mount_path = m.mount_path, .read_only = m.read_only};
    if (m.read_only) s.recursive_read_only = "Disabled";
    out.push_back(std::move(s));
  }
  return out;
}

// convertToAPIContainerStatuses for one list (regular or init containers).
std::vector<api::ContainerStatus> ConvertToAPIContainerStatuses(
    const api::Pod& pod, const container::PodStatus& rs,
    const std::vector<api::ContainerStatus>& previous,
    const std::vector<api::Container>& containers, bool is_init, const ReasonCache& reasons) {
  const bool has_init = !pod.spec.init_containers.empty();
  std::map<std::string, api::ContainerStatus> old;
  for (const api::ContainerStatus& s : previous) old[s.name] = s;

  // Defaults: waiting to be created (or for initialization), carrying over
  // what the previous status knew.
  const char* default_reason = has_init ? kPodInitializing : kContainerCreating;
  std::map<std::string, api::ContainerStatus> statuses;
  for (const api::Container& c : containers) {
    api::ContainerStatus s;
    s.name = c.name;
    s.image = c.image;
    s.state.waiting = api::ContainerStateWaiting{.reason = default_reason};
    if (auto it = old.find(c.name); it != old.end()) {
      if (it->second.state.terminated.has_value()) {
        s = it->second;
      } else {
        s.restart_count = it->second.restart_count;
        s.last_state = it->second.last_state;
      }
    }
    statuses[c.name] = std::move(s);
  }

  // A container that was running and has no instance any more ended in a
  // way nobody saw; record that rather than let it look never started
  // (which would turn the pod back to Pending).
  for (const api::Container& c : containers) {
    if (rs.FindContainerStatusByName(c.name) != nullptr) continue;
    auto it = old.find(c.name);
    if (it == old.end() || it->second.state.terminated.has_value() ||
        !it->second.state.running.has_value()) {
      continue;
    }
    api::ContainerStatus& s = statuses[c.name];
    bool is_default = s.state.waiting.has_value() && s.state.waiting->reason == default_reason;
    if (!is_default || s.last_state.terminated.has_value()) continue;
    s.last_state.terminated = api::ContainerStateTerminated{
        .exit_code = 137,
        .reason = kContainerStatusUnknown,
        .message =
            "The container could not be located when the pod was deleted.  The container used "
            "to be Running"};
    if (!pod.metadata.deletion_timestamp.has_value()) s.restart_count += 1;
  }

  // The latest instance gives the state, the one before it the last state.
  // (runtime statuses are newest first already.)
  std::map<std::string, int> seen;
  for (const container::ContainerStatus& cs : rs.container_statuses) {
    auto it = statuses.find(cs.name);
    if (it == statuses.end()) continue;
    int& n = seen[cs.name];
    if (n >= 2) continue;
    auto old_it = old.find(cs.name);
    api::ContainerStatus converted =
        ConvertContainerStatus(cs, old_it == old.end() ? nullptr : &old_it->second);
    // The mounts come from the spec: the runtime does not know volume names.
    for (const api::Container& c : containers) {
      if (c.name == cs.name) converted.volume_mounts = VolumeMountStatuses(c);
    }
    if (n == 0) {
      it->second = std::move(converted);
    } else {
      it->second.last_state = std::move(converted.state);
    }
    ++n;
  }

  // A container that will be started again whose last start failed waits
  // with the failure's reason (CrashLoopBackOff, ErrImagePull, ...).
  for (const api::Container& c : containers) {
    if (is_init) {
      // A completed init container is not restarted.
      const container::ContainerStatus* cs = rs.FindContainerStatusByName(c.name);
      if (cs != nullptr && cs->state == ContainerState::kExited && cs->exit_code == 0) continue;
    }
    if (!ShouldContainerBeRestarted(c, pod, rs)) continue;
    std::optional<ReasonInfo> reason = reasons.Get(pod.metadata.uid, c.name);
    if (!reason.has_value()) continue;
    api::ContainerStatus& s = statuses[c.name];
    if (s.state.terminated.has_value()) s.last_state = s.state;
    s.state = api::ContainerState{.waiting = api::ContainerStateWaiting{
                                      .reason = reason->reason, .message = reason->message}};
  }

  std::vector<api::ContainerStatus> out;
  out.reserve(statuses.size());
  if (is_init) {
    // Init containers in spec order (they run in that order).
    for (const api::Container& c : containers) out.push_back(std::move(statuses[c.name]));
  } else {
    // Regular containers sorted by name, as the kubelet does.
    for (auto& [name, s] : statuses) out.push_back(std::move(s));
  }
  return out;
}

// What the prober would say: started/ready only while running, gated by the
// container's probes.
void ApplyProbes(const api::Pod& pod, const GenerateOptions& options,
                 std::vector<api::ContainerStatus>& statuses, bool is_init) {
  const std::vector<api::Container>& specs =
      is_init ? pod.spec.init_containers : pod.spec.containers;
  auto lookup = [&](const std::map<std::string, bool>* m, const std::string& id) {
    if (m == nullptr) return false;
    auto it = m->find(id);
    return it != m->end() && it->second;
  };
  for (api::ContainerStatus& s : statuses) {
    const api::Container* spec = nullptr;
    for (const api::Container& c : specs) {
      if (c.name == s.name) spec = &c;
    }
    std::string id = s.container_id.substr(
        std::min(s.container_id.size(), std::string_view(kContainerIdPrefix).size()));
    bool started = false;
    if (s.state.running.has_value()) {
      started = spec == nullptr || !spec->startup_probe.has_value() ||
                lookup(options.probes ? &options.probes->started : nullptr, id);
    }
    s.started = started;
    if (is_init && spec != nullptr && !api::IsRestartableInitContainer(*spec)) {
      s.ready = s.state.terminated.has_value() && s.state.terminated->exit_code == 0;
      continue;
    }
    if (!started) {
      s.ready = false;
      continue;
    }
    s.ready = spec == nullptr || !spec->readiness_probe.has_value() ||
              lookup(options.probes ? &options.probes->ready : nullptr, id);
  }
}

bool IsKubeletCondition(const std::string& type) {
  return type == api::kPodScheduled || type == api::kPodReady || type == api::kPodInitialized ||
         type == api::kContainersReady || type == kPodReadyToStartContainers;
}

}  // namespace

std::string GetPhase(const api::Pod& pod, const std::vector<api::ContainerStatus>& init_statuses,
                     const std::vector<api::ContainerStatus>& statuses, bool pod_is_terminal) {
  int pending_init = 0;
  int pending_sidecars = 0;
  // Init containers that failed and will not run again (restart rules, then
  // the container's policy, then the pod's): the pod has failed.
  int failed_init_not_restartable = 0;
  auto failed_init = [&](const api::Container& c, int32_t exit_code) {
    if (exit_code != 0 && !api::ContainerShouldRestart(c, pod.spec, exit_code)) {
      ++failed_init_not_restartable;
    }
  };
  for (const api::Container& c : pod.spec.init_containers) {
    if (api::IsRestartableInitContainer(c)) continue;
    const api::ContainerStatus* s = FindStatus(init_statuses, statuses, c.name);
    if (s == nullptr) {
      ++pending_init;
    } else if (s->state.running.has_value()) {
      ++pending_init;
    } else if (s->state.terminated.has_value()) {
      failed_init(c, s->state.terminated->exit_code);
    } else if (s->state.waiting.has_value()) {
      if (s->last_state.terminated.has_value()) {
        failed_init(c, s->last_state.terminated->exit_code);
      } else {
        ++pending_init;
      }
    } else {
      ++pending_init;
    }
  }

  int unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  int stopped_not_restartable = 0;
  for (const api::Container& c : pod.spec.init_containers) {
    if (!api::IsRestartableInitContainer(c)) continue;
    const api::ContainerStatus* s = FindStatus(init_statuses, statuses, c.name);
    if (s == nullptr) {
      ++unknown;
    } else if (s->state.running.has_value()) {
      if (!s->started.value_or(false)) ++pending_sidecars;
      ++running;
    } else if (s->state.terminated.has_value()) {
      // Stopped sidecars do not count toward the phase.
    } else if (s->state.waiting.has_value()) {
      if (!s->last_state.terminated.has_value()) {
        ++pending_sidecars;
        ++waiting;
      }
    } else {
      ++pending_sidecars;
      ++unknown;
    }
  }

  for (const api::Container& c : pod.spec.containers) {
    const api::ContainerStatus* s = FindStatus(statuses, init_statuses, c.name);
    if (s == nullptr) {
      ++unknown;
    } else if (s->state.running.has_value()) {
      ++running;
    } else if (s->state.terminated.has_value()) {
      ++stopped;
      const int32_t exit_code = s->state.terminated->exit_code;
      if (!api::ContainerShouldRestart(c, pod.spec, exit_code)) ++stopped_not_restartable;
      if (exit_code == 0) ++succeeded;
    } else if (s->state.waiting.has_value()) {
      if (s->last_state.terminated.has_value()) {
        ++stopped;
        if (!api::ContainerShouldRestart(c, pod.spec, s->last_state.terminated->exit_code)) {
          ++stopped_not_restartable;
        }
      } else {
        ++waiting;
      }
    } else {
      ++unknown;
    }
  }

  if (failed_init_not_restartable > 0) return api::kPodFailed;
  // Sidecars still starting hold the pod in Pending, unless regular
  // containers already stopped (then this is a restarted sandbox, not a new
  // pod).
  if (pending_init > 0 || (pending_sidecars > 0 && stopped == 0)) return api::kPodPending;
  if (waiting > 0) return api::kPodPending;
  if (running > 0 && unknown == 0) return api::kPodRunning;
  if (running == 0 && stopped > 0 && unknown == 0) {
    if (pod_is_terminal && !api::IsStaticPod(pod)) {
      return stopped == succeeded ? api::kPodSucceeded : api::kPodFailed;
    }
    // Some will run again: the pod is still running.
    if (stopped != stopped_not_restartable) return api::kPodRunning;
    return stopped == succeeded ? api::kPodSucceeded : api::kPodFailed;
  }
  return api::kPodPending;
}

api::PodCondition GeneratePodInitializedCondition(
    const api::Pod& pod, const std::vector<api::ContainerStatus>& init_statuses,
    const std::vector<api::ContainerStatus>& statuses, const std::string& phase) {
  std::vector<std::string> unknown, incomplete;
  for (const api::Container& c : pod.spec.init_containers) {
    const api::ContainerStatus* s = FindStatus(init_statuses, c.name);
    if (s == nullptr) {
      unknown.push_back(c.name);
      continue;
    }
    if (api::IsRestartableInitContainer(c)) {
      if (!s->started.value_or(false)) incomplete.push_back(c.name);
      continue;
    }
    if (!s->state.terminated.has_value() || s->state.terminated->exit_code != 0) {
      incomplete.push_back(c.name);
    }
  }
  if (phase == api::kPodSucceeded && unknown.empty()) {
    return {.type = api::kPodInitialized, .status = api::kConditionTrue, .reason = kPodCompleted};
  }
  // A regular container that ran means initialization finished, even while
  // sidecars restart.
  for (const api::ContainerStatus& s : statuses) {
    if (s.state.running.has_value() || s.state.terminated.has_value()) {
      return {.type = api::kPodInitialized, .status = api::kConditionTrue};
    }
  }
  std::vector<std::string> messages;
  if (!unknown.empty()) messages.push_back("containers with unknown status: " + GoList(unknown));
  if (!incomplete.empty()) {
    messages.push_back("containers with incomplete status: " + GoList(incomplete));
  }
  if (!messages.empty()) {
    return {.type = api::kPodInitialized,
            .status = api::kConditionFalse,
            .reason = kContainersNotInitialized,
            .message = absl::StrJoin(messages, ", ")};
  }
  return {.type = api::kPodInitialized, .status = api::kConditionTrue};
}

api::PodCondition GenerateContainersReadyCondition(
    const api::Pod& pod, const std::vector<api::ContainerStatus>& init_statuses,
    const std::vector<api::ContainerStatus>& statuses, const std::string& phase) {
  std::vector<std::string> unknown, unready;
  for (const api::Container& c : pod.spec.init_containers) {
    if (!api::IsRestartableInitContainer(c)) continue;
    const api::ContainerStatus* s = FindStatus(init_statuses, c.name);
    if (s == nullptr) {
      unknown.push_back(c.name);
    } else if (!s->ready) {
      unready.push_back(c.name);
    }
  }
  for (const api::Container& c : pod.spec.containers) {
    const api::ContainerStatus* s = FindStatus(statuses, c.name);
    if (s == nullptr) {
      unknown.push_back(c.name);
    } else if (!s->ready) {
      unready.push_back(c.name);
    }
  }
  if (phase == api::kPodSucceeded && unknown.empty()) {
    return {.type = api::kContainersReady, .status = api::kConditionFalse, .reason = kPodCompleted};
  }
  if (phase == api::kPodFailed) {
    return {
        .type = api::kContainersReady, .status = api::kConditionFalse, .reason = kPodFailedReason};
  }
  std::vector<std::string> messages;
  if (!unknown.empty()) messages.push_back("containers with unknown status: " + GoList(unknown));
  if (!unready.empty()) messages.push_back("containers with unready status: " + GoList(unready));
  if (!messages.empty()) {
    return {.type = api::kContainersReady,
            .status = api::kConditionFalse,
            .reason = kContainersNotReady,
            .message = absl::StrJoin(messages, ", ")};
  }
  return {.type = api::kContainersReady, .status = api::kConditionTrue};
}

api::PodCondition GeneratePodReadyCondition(const api::Pod& pod,
                                            const std::vector<api::PodCondition>& conditions,
                                            const std::vector<api::ContainerStatus>& init_statuses,
                                            const std::vector<api::ContainerStatus>& statuses,
                                            const std::string& phase) {
  api::PodCondition c = GenerateContainersReadyCondition(pod, init_statuses, statuses, phase);
  c.type = api::kPodReady;
  if (c.status != api::kConditionTrue) return c;
  // Readiness gates: the conditions they name must be there and True.
  std::vector<std::string> unready;
  for (const std::string& gate : pod.spec.readiness_gates) {
    const api::PodCondition* found = nullptr;
    for (const api::PodCondition& pc : conditions) {
      if (pc.type == gate) found = &pc;
    }
    if (found == nullptr) {
      unready.push_back(absl::StrCat("corresponding condition of pod readiness gate \"", gate,
                                     "\" does not exist."));
    } else if (found->status != api::kConditionTrue) {
      unready.push_back(absl::StrCat("the status of pod readiness gate \"", gate,
                                     "\" is not \"True\", but ", found->status));
    }
  }
  if (!unready.empty()) {
    return {.type = api::kPodReady,
            .status = api::kConditionFalse,
            .reason = "ReadinessGatesNotReady",
            .message = absl::StrJoin(unready, ", ")};
  }
  return {.type = api::kPodReady, .status = api::kConditionTrue};
}

api::PodStatus GeneratePodStatus(const api::Pod& pod, const container::PodStatus& rs,
                                 const ReasonCache& reasons, const api::PodStatus* previous,
                                 absl::Time now, const GenerateOptions& options) {
  static const api::PodStatus kEmpty;
  const api::PodStatus& old = previous != nullptr ? *previous : kEmpty;

  api::PodStatus s;
  s.init_container_statuses = ConvertToAPIContainerStatuses(
      pod, rs, old.init_container_statuses, pod.spec.init_containers, true, reasons);
  s.container_statuses = ConvertToAPIContainerStatuses(pod, rs, old.container_statuses,
                                                       pod.spec.containers, false, reasons);
  // Ephemeral containers are not probed: neither ready nor started is set.
  s.ephemeral_container_statuses = ConvertToAPIContainerStatuses(
      pod, rs, old.ephemeral_container_statuses, pod.spec.ephemeral_containers, false, reasons);
  ApplyProbes(pod, options, s.init_container_statuses, true);
  ApplyProbes(pod, options, s.container_statuses, false);

  s.phase = GetPhase(pod, s.init_container_statuses, s.container_statuses, options.pod_is_terminal);
  // A terminal phase is final: neither this agent's last status nor the
  // API's may go back to a running one.
  if (!api::IsTerminalPhase(s.phase)) {
    if (api::IsTerminalPhase(old.phase)) {
      s.phase = old.phase;
    } else if (api::IsTerminalPhase(pod.status.phase)) {
      s.phase = pod.status.phase;
    }
  }
  if (s.phase == old.phase) {
    s.reason = old.reason;
    s.message = old.message;
  }
  std::optional<absl::Time> start_time =
      old.start_time.has_value() ? old.start_time : std::optional<absl::Time>(now);
  if (options.should_evict) {
    if (std::optional<std::pair<std::string, std::string>> evict =
            options.should_evict(start_time)) {
      s.phase = api::kPodFailed;
      s.reason = std::move(evict->first);
      s.message = std::move(evict->second);
    }
  }

  // Conditions the kubelet does not own (set by others, readiness gates'
  // among them) are kept as the API server has them, else as last written.
  const std::vector<api::PodCondition>& others =
      pod.status.conditions.empty() ? old.conditions : pod.status.conditions;
  for (const api::PodCondition& c : others) {
    if (!IsKubeletCondition(c.type)) s.conditions.push_back(c);
  }
  std::vector<api::PodCondition> generated;
  // GeneratePodReadyToStartContainersCondition: true when no new sandbox is
  // needed; else false, with the reason the runtime manager would make one.
  container::SandboxChange change = container::PodSandboxChanged(pod, rs);
  if (change.needed) {
    generated.push_back({.type = kPodReadyToStartContainers,
                         .status = api::kConditionFalse,
                         .reason = "PodSandboxNotReady",
                         .message = change.reason});
  } else {
    generated.push_back({.type = kPodReadyToStartContainers, .status = api::kConditionTrue});
  }
  generated.push_back(GeneratePodInitializedCondition(pod, s.init_container_statuses,
                                                      s.container_statuses, s.phase));
  generated.push_back(GeneratePodReadyCondition(pod, s.conditions, s.init_container_statuses,
                                                s.container_statuses, s.phase));
  generated.push_back(GenerateContainersReadyCondition(pod, s.init_container_statuses,
                                                       s.container_statuses, s.phase));
  generated.push_back({.type = api::kPodScheduled, .status = api::kConditionTrue});
  for (api::PodCondition& c : generated) {
    c.last_transition_time = now;
    for (const api::PodCondition& o : old.conditions) {
      if (o.type == c.type && o.status == c.status) c.last_transition_time = o.last_transition_time;
    }
    s.conditions.push_back(std::move(c));
  }

  for (const std::string& ip : rs.ips) s.pod_ips.push_back(api::PodIP{.ip = ip});
  if (!s.pod_ips.empty()) s.pod_ip = s.pod_ips.front().ip;
  s.host_ip = old.host_ip;
  // As the kubelet's convertStatusToAPIStatus: always from the spec.
  s.qos_class = GetPodQOS(pod);
  s.start_time = start_time;
  return s;
}

void ApplyNodeAddresses(const api::Pod& pod, const std::string& host_ip, api::PodStatus& status) {
  if (status.host_ip.empty()) status.host_ip = host_ip;
  // A host-network pod's IP is the node's (as the kubelet reports it).
  if (pod.spec.host_network && status.pod_ip.empty() && !host_ip.empty() &&
      status.phase != api::kPodPending) {
    status.pod_ip = host_ip;
    status.pod_ips = {api::PodIP{host_ip}};
  }
}

}  // namespace cubelet::status
