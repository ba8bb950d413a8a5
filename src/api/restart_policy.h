// Whether a container runs again after it exits: the container's restart
// rules, then its own restartPolicy, then the pod's (upstream podutil
// ContainerShouldRestart, IsContainerRestartable and
// FindMatchingContainerRestartRule, with ContainerRestartRules on as it is by
// default since 1.35). Every part of the agent that asks "will this container
// restart?" (pod actions, phase, status transitions, probes) asks here, so
// they never disagree.
//
// Pure functions of the spec; thread-compatible.
#ifndef CUBELET_API_RESTART_POLICY_H_
#define CUBELET_API_RESTART_POLICY_H_

#include <cstdint>

#include "api/pod.h"

namespace cubelet::api {

// The first of `c`'s restart rules whose exit codes match `exit_code`, or
// nullptr. A rule without exitCodes never matches (validation requires them).
const ContainerRestartRule* FindMatchingRestartRule(const Container& c, int32_t exit_code);

// Whether `c`, exited with `exit_code`, is started again: a matching
// "Restart" rule, else the container's restartPolicy, else the pod's.
bool ContainerShouldRestart(const Container& c, const PodSpec& spec, int32_t exit_code);

// Whether `c` may ever be restarted: a "Restart" rule or a container policy
// other than Never; without a container policy, a pod policy other than Never.
bool IsContainerRestartable(const PodSpec& spec, const Container& c);

// The policy that applies to a container still running or in an unknown
// state, where there is no exit code for the rules: the container's own
// restartPolicy if set, else the pod's.
const std::string& EffectiveRestartPolicy(const PodSpec& spec, const Container& c);

}  // namespace cubelet::api

#endif  // CUBELET_API_RESTART_POLICY_H_
