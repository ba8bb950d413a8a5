#include "api/restart_policy.h"

#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

ContainerRestartRule Rule(const char* action, const char* op, std::vector<int32_t> codes) {
  return ContainerRestartRule{
      .action = action,
      .exit_codes = ContainerRestartRuleOnExitCodes{.operator_ = op, .values = std::move(codes)}};
}

PodSpec Spec(const char* pod_policy) {
  PodSpec spec;
  spec.restart_policy = pod_policy;
  return spec;
}

TEST(RestartPolicyTest, WithoutAContainerPolicyThePodsPolicyDecides) {
  Container c;
  EXPECT_TRUE(ContainerShouldRestart(c, Spec(kRestartAlways), 0));
  EXPECT_TRUE(ContainerShouldRestart(c, Spec(kRestartOnFailure), 1));
  EXPECT_FALSE(ContainerShouldRestart(c, Spec(kRestartOnFailure), 0));
  EXPECT_FALSE(ContainerShouldRestart(c, Spec(kRestartNever), 1));
  EXPECT_TRUE(IsContainerRestartable(Spec(kRestartOnFailure), c));
  EXPECT_FALSE(IsContainerRestartable(Spec(kRestartNever), c));
}

TEST(RestartPolicyTest, TheContainersPolicyOverridesThePods) {
  Container c;
  c.restart_policy = kRestartNever;
  EXPECT_FALSE(ContainerShouldRestart(c, Spec(kRestartAlways), 1));
  EXPECT_FALSE(IsContainerRestartable(Spec(kRestartAlways), c));
  c.restart_policy = kRestartAlways;
  EXPECT_TRUE(ContainerShouldRestart(c, Spec(kRestartNever), 0));
  EXPECT_TRUE(IsContainerRestartable(Spec(kRestartNever), c));
  c.restart_policy = kRestartOnFailure;
  EXPECT_TRUE(ContainerShouldRestart(c, Spec(kRestartNever), 2));
  EXPECT_FALSE(ContainerShouldRestart(c, Spec(kRestartAlways), 0));
  EXPECT_EQ(EffectiveRestartPolicy(Spec(kRestartNever), c), kRestartOnFailure);
}

TEST(RestartPolicyTest, AMatchingRuleRestartsWhateverThePolicy) {
  Container c;
  c.restart_policy = kRestartNever;
  c.restart_policy_rules = {Rule(kRestartRuleActionRestart, kExitCodesOpIn, {42})};
  EXPECT_TRUE(ContainerShouldRestart(c, Spec(kRestartNever), 42));
  EXPECT_FALSE(ContainerShouldRestart(c, Spec(kRestartNever), 1));  // no match: Never
  EXPECT_TRUE(IsContainerRestartable(Spec(kRestartNever), c));
}

TEST(RestartPolicyTest, NotInMatchesEveryCodeNotListedAndTheFirstMatchWins) {
  Container c;
  c.restart_policy = kRestartAlways;
  c.restart_policy_rules = {Rule(kRestartRuleActionRestartAllContainers, kExitCodesOpNotIn, {0}),
                            Rule(kRestartRuleActionRestart, kExitCodesOpIn, {3})};
  const ContainerRestartRule* rule = FindMatchingRestartRule(c, 3);
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->action, kRestartRuleActionRestartAllContainers);
  EXPECT_EQ(FindMatchingRestartRule(c, 0), nullptr);
  // The matched action is not "Restart": the container's policy decides.
  c.restart_policy = kRestartNever;
  EXPECT_FALSE(ContainerShouldRestart(c, Spec(kRestartAlways), 3));
}

TEST(RestartPolicyTest, RulesAreIgnoredWithoutAContainerPolicy) {
  Container c;
  c.restart_policy_rules = {Rule(kRestartRuleActionRestart, kExitCodesOpIn, {42})};
  EXPECT_FALSE(ContainerShouldRestart(c, Spec(kRestartNever), 42));
}

}  // namespace
}  // namespace cubelet::api
