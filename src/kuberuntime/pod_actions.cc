// ComputePodActions and the decisions it is built from (upstream
// kuberuntime_manager.go computePodActions, computeInitContainerActions,
// util.PodSandboxChanged and container/helpers.go).
#include <algorithm>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "api/restart_policy.h"
#include "kuberuntime/hash.h"
#include "kuberuntime/runtime_manager.h"

namespace cubelet::kuberuntime {
namespace {

using container::ContainerState;
using container::ContainerStatus;
using container::PodStatus;
using container::SandboxState;

bool RestartOnFailure(const api::Pod& pod) { return pod.spec.restart_policy != api::kRestartNever; }

bool ContainerSucceeded(const api::Container& c, const PodStatus& status) {
  const ContainerStatus* cs = status.FindContainerStatusByName(c.name);
  return cs != nullptr && cs->state == ContainerState::kExited && cs->exit_code == 0;
}

bool IsInitContainerFailed(const ContainerStatus& cs) {
  // An OOM kill fails the init container whatever exit code was reported.
  if (cs.reason.find("OOMKilled") != std::string::npos) return true;
  if (cs.state == ContainerState::kExited && cs.exit_code != 0) return true;
  return cs.state == ContainerState::kUnknown;
}

// Any regular container with an instance means initialization finished once.
bool HasAnyRegularContainerCreated(const api::Pod& pod, const PodStatus& status) {
  for (const api::Container& c : pod.spec.containers) {
    const ContainerStatus* cs = status.FindContainerStatusByName(c.name);
    if (cs == nullptr) continue;
    if (cs->state == ContainerState::kCreated || cs->state == ContainerState::kRunning ||
        cs->state == ContainerState::kExited) {
      return true;
    }
  }
  return false;
}

prober::ProbeResult LivenessOf(const prober::ProbeResults* probes, const std::string& id) {
  return probes == nullptr ? prober::ProbeResult::kUnknown : probes->Liveness(id);
}

prober::ProbeResult StartupOf(const prober::ProbeResults* probes, const std::string& id) {
  return probes == nullptr ? prober::ProbeResult::kUnknown : probes->Startup(id);
}

void AddKill(PodActions& a, const ContainerStatus& cs, std::string message, KillReason reason) {
  for (const ContainerToKill& k : a.containers_to_kill) {
    if (k.id == cs.id) return;
  }
  a.containers_to_kill.push_back(ContainerToKill{
      .id = cs.id, .name = cs.name, .message = std::move(message), .reason = reason});
}

// Fills the init-container part of `a`; returns whether the pod has finished
// initializing (all regular init containers done, sidecars started).
bool ComputeInitContainerActions(const api::Pod& pod, const PodStatus& status,
                                 const prober::ProbeResults* probes, PodActions& a) {
  const std::vector<api::Container>& inits = pod.spec.init_containers;
  if (inits.empty()) return true;

  // A created or running regular container proves initialization finished
  // once, even if the init containers' instances are gone by now. Exited
  // ones prove nothing: after a node reboot everything is exited and the new
  // sandbox must initialize again.
  bool pod_has_initialized = false;
  for (const api::Container& c : pod.spec.containers) {
    const ContainerStatus* cs = status.FindContainerStatusByName(c.name);
    if (cs != nullptr &&
        (cs->state == ContainerState::kCreated || cs->state == ContainerState::kRunning)) {
      pod_has_initialized = true;
      break;
    }
  }

  bool previously_initialized = pod_has_initialized;
  std::vector<size_t> to_start;  // built back to front, reversed at the end

  // Walk back to front: completed init containers may have been removed, so
  // the last one with an instance tells where initialization stands.
  for (size_t n = inits.size(); n-- > 0;) {
    const api::Container& c = inits[n];
    const bool sidecar = api::IsRestartableInitContainer(c);
    const ContainerStatus* cs = status.FindContainerStatusByName(c.name);
    if (cs == nullptr) {
      if (previously_initialized && sidecar) to_start.push_back(n);
      continue;
    }
    if (previously_initialized && !sidecar) continue;

    switch (cs->state) {
      case ContainerState::kCreated:
        // SyncPod creates and starts in one go; a container left in Created
        // failed to start, so start a fresh instance.
        to_start.push_back(n);
        break;
      case ContainerState::kRunning: {
        if (!sidecar) break;  // a regular init container: wait for it to exit
        if (c.startup_probe.has_value() && probes != nullptr) {
          prober::ProbeResult startup = probes->Startup(cs->id);
          if (startup == prober::ProbeResult::kFailure) {
            AddKill(a, *cs, absl::StrCat("Init container ", c.name, " failed startup probe"),
                    KillReason::kStartupProbe);
            to_start.push_back(n);
            break;
          }
          if (startup != prober::ProbeResult::kSuccess) break;  // not started yet: wait
        }
        if (n == inits.size() - 1) {
          pod_has_initialized = true;
        } else if (!previously_initialized) {
          to_start.push_back(n + 1);
        }
        if (cs->hash != HashContainer(c)) {
          AddKill(a, *cs, absl::StrCat("Init container ", c.name, " definition changed"),
                  KillReason::kNone);
          to_start.push_back(n);
          break;
        }
        if (c.liveness_probe.has_value() &&
            LivenessOf(probes, cs->id) == prober::ProbeResult::kFailure) {
          AddKill(a, *cs, absl::StrCat("Init container ", c.name, " failed liveness probe"),
                  KillReason::kLivenessProbe);
          to_start.push_back(n);
        }
        break;
      }
      case ContainerState::kExited:
        if (sidecar) {
          to_start.push_back(n);
          break;
        }
        if (IsInitContainerFailed(*cs)) {
          // Its exit code against its restart rules and policy.
          if (!ShouldContainerBeRestarted(c, pod, status)) {
            a.kill_pod = true;
            a.init_containers_to_start.clear();
            return false;
          }
          to_start.push_back(n);
          break;
        }
        if (n == inits.size() - 1) {
          pod_has_initialized = true;
        } else {
          to_start.push_back(n + 1);
        }
        break;
      case ContainerState::kUnknown:
        // No exit code for the rules: the container's own policy, if any.
        if (!sidecar && api::EffectiveRestartPolicy(pod.spec, c) == api::kRestartNever) {
          a.kill_pod = true;
          a.init_containers_to_start.clear();
          return false;
        }
        AddKill(a, *cs,
                absl::StrCat("Init container is in \"", container::ToString(cs->state),
                             "\" state, try killing it before restart"),
                KillReason::kUnknownState);
        to_start.push_back(n);
        break;
    }
    previously_initialized = true;
  }

  if (!previously_initialized) to_start.push_back(0);
  std::reverse(to_start.begin(), to_start.end());
  a.init_containers_to_start = std::move(to_start);
  return pod_has_initialized;
}

}  // namespace

std::string ContainerBackoffKey(const api::Pod& pod, const api::Container& container) {
  return absl::StrCat(pod.metadata.name, "_", pod.metadata.namespace_, "_", pod.metadata.uid, "_",
                      container.name, "_", HashToString(HashContainer(container)));
}

std::string ImagePullBackoffKey(const api::Pod& pod, const std::string& image) {
  return absl::StrCat(pod.metadata.uid, "_", image);
}

bool ShouldContainerBeRestarted(const api::Container& container, const api::Pod& pod,
                                const PodStatus& status) {
  // A pod being deleted never gets containers back.
  if (pod.metadata.deletion_timestamp.has_value()) return false;
  const ContainerStatus* cs = status.FindContainerStatusByName(container.name);
  // Never started (or every instance garbage-collected): start it.
  if (cs == nullptr) return true;
  if (cs->state == ContainerState::kRunning) return false;
  if (cs->state == ContainerState::kUnknown || cs->state == ContainerState::kCreated) return true;
  return api::ContainerShouldRestart(container, pod.spec, cs->exit_code);
}

PodActions ComputePodActions(const api::Pod& pod, const PodStatus& status,
                             const prober::ProbeResults* probes) {
  container::SandboxChange change = container::PodSandboxChanged(pod, status);
  bool create_sandbox = change.needed;
  PodActions a;
  a.kill_pod = create_sandbox;
  a.create_sandbox = create_sandbox;
  a.sandbox_id = change.sandbox_id;
  a.attempt = change.attempt;

  if (create_sandbox) {
    // A Never pod whose sandbox died after containers ran is done: stop
    // what is left and do not start over. (No container statuses means
    // nothing ever got created, so retrying the sandbox is right.)
    if (!RestartOnFailure(pod) && change.attempt != 0 && !status.container_statuses.empty()) {
      a.create_sandbox = false;
      return a;
    }
    std::vector<size_t> to_start;
    for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
      const api::Container& c = pod.spec.containers[i];
      // A container that runs once (OnFailure, its own policy first) and
      // succeeded is not started again in the new sandbox.
      if (api::EffectiveRestartPolicy(pod.spec, c) == api::kRestartOnFailure &&
          ContainerSucceeded(c, status)) {
        continue;
      }
      to_start.push_back(i);
    }
    // Nothing left to run after a completed initialization: no new sandbox.
    if (to_start.empty() && HasAnyRegularContainerCreated(pod, status)) {
      a.create_sandbox = false;
      return a;
    }
    // A new sandbox starts from scratch: first init container, if any.
    if (!pod.spec.init_containers.empty()) {
      a.init_containers_to_start = {0};
      return a;
    }
    a.containers_to_start = std::move(to_start);
    return a;
  }

  // Ephemeral containers start even before initialization completes, and
  // only once: an instance of any state means it ran.
  for (size_t i = 0; i < pod.spec.ephemeral_containers.size(); ++i) {
    if (status.FindContainerStatusByName(pod.spec.ephemeral_containers[i].name) == nullptr) {
      a.ephemeral_containers_to_start.push_back(i);
    }
  }

  bool initialized = ComputeInitContainerActions(pod, status, probes, a);
  if (a.kill_pod) a.ephemeral_containers_to_start.clear();
  if (a.kill_pod || !initialized) return a;

  int keep = 0;
  for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
    const api::Container& c = pod.spec.containers[i];
    const ContainerStatus* cs = status.FindContainerStatusByName(c.name);
    if (cs == nullptr || cs->state != ContainerState::kRunning) {
      if (ShouldContainerBeRestarted(c, pod, status)) {
        a.containers_to_start.push_back(i);
        // An Unknown container might still be running: stop it first so two
        // instances never run side by side.
        if (cs != nullptr && cs->state == ContainerState::kUnknown) {
          AddKill(a, *cs,
                  absl::StrCat("Container is in \"", container::ToString(cs->state),
                               "\" state, try killing it before restart"),
                  KillReason::kUnknownState);
        }
      }
      continue;
    }
    // A running container has no exit code for the rules: its own policy, if
    // any, else the pod's.
    bool restart = api::EffectiveRestartPolicy(pod.spec, c) != api::kRestartNever;
    std::string message;
    KillReason reason = KillReason::kNone;
    if (cs->hash != HashContainer(c)) {
      message = absl::StrCat("Container ", c.name, " definition changed");
      // The spec changed: the new spec must run whatever the policy says.
      restart = true;
    } else if (LivenessOf(probes, cs->id) == prober::ProbeResult::kFailure) {
      message = absl::StrCat("Container ", c.name, " failed liveness probe");
      reason = KillReason::kLivenessProbe;
    } else if (StartupOf(probes, cs->id) == prober::ProbeResult::kFailure) {
      message = absl::StrCat("Container ", c.name, " failed startup probe");
      reason = KillReason::kStartupProbe;
    } else {
      ++keep;
      continue;
    }
    if (restart) {
      absl::StrAppend(&message, ", will be restarted");
      a.containers_to_start.push_back(i);
    }
    AddKill(a, *cs, std::move(message), reason);
  }

  if (keep == 0 && a.containers_to_start.empty()) {
    a.kill_pod = true;
    // Sidecars (and debuggers) must not keep a finished pod alive.
    a.init_containers_to_start.clear();
    a.ephemeral_containers_to_start.clear();
  }
  return a;
}

}  // namespace cubelet::kuberuntime
