#include "api/restart_policy.h"

#include <algorithm>

namespace cubelet::api {
namespace {

bool PolicyRestarts(const std::string& policy, int32_t exit_code) {
  if (policy == kRestartNever) return false;
  if (policy == kRestartOnFailure) return exit_code != 0;
  return true;  // Always, and the default when unset
}

}  // namespace

const ContainerRestartRule* FindMatchingRestartRule(const Container& c, int32_t exit_code) {
  for (const ContainerRestartRule& rule : c.restart_policy_rules) {
    if (!rule.exit_codes.has_value()) continue;
    const std::vector<int32_t>& values = rule.exit_codes->values;
    const bool listed = std::find(values.begin(), values.end(), exit_code) != values.end();
    if (rule.exit_codes->operator_ == kExitCodesOpIn && listed) return &rule;
    if (rule.exit_codes->operator_ == kExitCodesOpNotIn && !listed) return &rule;
  }
  return nullptr;
}

bool ContainerShouldRestart(const Container& c, const PodSpec& spec, int32_t exit_code) {
  if (c.restart_policy.has_value()) {
    // Only "Restart" decides here; any other action falls back to the
    // container's policy, as upstream does for RestartAllContainers with its
    // gate off (cubelet refuses that action at validation).
    const ContainerRestartRule* rule = FindMatchingRestartRule(c, exit_code);
    if (rule != nullptr && rule->action == kRestartRuleActionRestart) return true;
    return PolicyRestarts(*c.restart_policy, exit_code);
  }
  return PolicyRestarts(spec.restart_policy, exit_code);
}

bool IsContainerRestartable(const PodSpec& spec, const Container& c) {
  if (c.restart_policy.has_value()) {
    for (const ContainerRestartRule& rule : c.restart_policy_rules) {
      if (rule.action == kRestartRuleActionRestart) return true;
    }
    return *c.restart_policy != kRestartNever;
  }
  return spec.restart_policy != kRestartNever;
}

const std::string& EffectiveRestartPolicy(const PodSpec& spec, const Container& c) {
  return c.restart_policy.has_value() ? *c.restart_policy : spec.restart_policy;
}

}  // namespace cubelet::api
