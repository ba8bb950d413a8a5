#include "lifecycle/security_admission.h"

#include "gtest/gtest.h"
#include "lifecycle/predicate.h"

namespace cubelet::lifecycle {
namespace {

api::Pod PodWithSysctls(std::vector<std::string> names) {
  api::Pod pod;
  pod.metadata.name = "p";
  pod.spec.containers = {api::Container{.name = "c", .image = "busybox"}};
  pod.spec.security_context.emplace();
  for (std::string& n : names)
    pod.spec.security_context->sysctls.push_back({.name = n, .value = "1"});
  return pod;
}

// upstream pkg/kubelet/sysctl: safe sysctls pass, others need
// --allowed-unsafe-sysctls, and none may touch a namespace shared with the
// host.
TEST(SysctlAdmissionTest, SafeAllowedUnsafeAndForbidden) {
  EXPECT_EQ(
      ForbiddenSysctl(PodWithSysctls({"kernel.shm_rmid_forced", "net.ipv4.tcp_syncookies"}), {}),
      std::nullopt);
  EXPECT_EQ(ForbiddenSysctl(PodWithSysctls({"kernel.msgmax"}), {}),
            "forbidden sysctl: \"kernel.msgmax\" not allowlisted");
  EXPECT_EQ(ForbiddenSysctl(PodWithSysctls({"kernel.msgmax"}), {"kernel.msg*"}), std::nullopt);
  EXPECT_EQ(ForbiddenSysctl(PodWithSysctls({"net/ipv4/conf/eth0.1/forwarding"}), {"net.*"}),
            std::nullopt)
      << "slash-separated names are normalized";

  api::Pod host_net = PodWithSysctls({"net.ipv4.tcp_syncookies"});
  host_net.spec.host_network = true;
  EXPECT_EQ(ForbiddenSysctl(host_net, {}),
            "forbidden sysctl: \"net.ipv4.tcp_syncookies\" not allowed with host Net enabled");
}

TEST(SysctlAdmissionTest, AdmitRejectsWithSysctlForbidden) {
  AdmitResult r = Admit(PodWithSysctls({"kernel.msgmax"}), {}, LocalNodeInfo("node"));
  EXPECT_FALSE(r.admit);
  EXPECT_EQ(r.reason, "SysctlForbidden");
}

TEST(SysctlAdmissionTest, UnsafePatternsMustBeNamespaced) {
  EXPECT_TRUE(ValidateUnsafeSysctlPatterns({"kernel.msg*", "net.core.somaxconn"}).ok());
  EXPECT_EQ(ValidateUnsafeSysctlPatterns({"vm.swappiness"}).message(),
            "the sysctls \"vm.swappiness\" are not known to be namespaced");
  EXPECT_FALSE(ValidateUnsafeSysctlPatterns({"Net.*"}).ok());
}

// upstream appArmorAdmitHandler: a confining profile on a host without
// AppArmor is rejected; Unconfined is not a requirement.
TEST(AppArmorAdmissionTest, ConfiningProfileNeedsAppArmorOnTheHost) {
  api::Pod pod = PodWithSysctls({});
  NodeInfo node = LocalNodeInfo("node");
  node.app_armor_enabled = false;
  EXPECT_FALSE(RequiresAppArmor(pod));

  pod.spec.security_context->app_armor_profile = api::AppArmorProfile{.type = "Unconfined"};
  EXPECT_FALSE(RequiresAppArmor(pod));
  EXPECT_TRUE(Admit(pod, {}, node).admit);

  pod.spec.containers[0].security_context.emplace();
  pod.spec.containers[0].security_context->app_armor_profile =
      api::AppArmorProfile{.type = "RuntimeDefault"};
  AdmitResult r = Admit(pod, {}, node);
  EXPECT_FALSE(r.admit);
  EXPECT_EQ(r.reason, "AppArmor");
  EXPECT_EQ(r.message, "Cannot enforce AppArmor: AppArmor is not enabled on the host");
  node.app_armor_enabled = true;
  EXPECT_TRUE(Admit(pod, {}, node).admit);
}

TEST(AppArmorAdmissionTest, DeprecatedAnnotationCountsAndContainerFieldWins) {
  api::Pod pod = PodWithSysctls({});
  pod.metadata.annotations["container.apparmor.security.beta.kubernetes.io/c"] =
      "localhost/my-profile";
  EXPECT_TRUE(RequiresAppArmor(pod));
  std::optional<api::AppArmorProfile> p = AppArmorProfileFor(pod, pod.spec.containers[0]);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, "Localhost");
  EXPECT_EQ(p->localhost_profile, "my-profile");

  pod.spec.containers[0].security_context.emplace();
  pod.spec.containers[0].security_context->app_armor_profile =
      api::AppArmorProfile{.type = "Unconfined"};
  EXPECT_EQ(AppArmorProfileFor(pod, pod.spec.containers[0])->type, "Unconfined");
}

}  // namespace
}  // namespace cubelet::lifecycle
