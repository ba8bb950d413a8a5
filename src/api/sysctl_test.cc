#include "api/sysctl.h"

#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

TEST(SysctlTest, NormalizesTheSlashForm) {
  EXPECT_EQ(NormalizeSysctlName("net/ipv4/conf/eno2.100/rp_filter"),
            "net.ipv4.conf.eno2/100.rp_filter");
  EXPECT_EQ(NormalizeSysctlName("net.ipv4.conf.eno2/100.rp_filter"),
            "net.ipv4.conf.eno2/100.rp_filter");
  EXPECT_EQ(NormalizeSysctlName("kernel"), "kernel");
}

TEST(SysctlTest, NamespacesByNameThenPrefix) {
  EXPECT_EQ(SysctlNamespace("kernel.shmmax"), "IPC");
  EXPECT_EQ(SysctlNamespace("kernel.msg"), "IPC");  // the prefix of kernel.msg*
  EXPECT_EQ(SysctlNamespace("fs.mqueue.msg_max"), "IPC");
  EXPECT_EQ(SysctlNamespace("net.core.somaxconn"), "Net");
  EXPECT_EQ(SysctlNamespace("kernel.domainname"), "UTS");
  EXPECT_EQ(SysctlNamespace("user.max_user_namespaces"), "User");
  // Only the listed names: kernel.shm_next_id is not known to be namespaced.
  EXPECT_EQ(SysctlNamespace("kernel.shm_next_id"), "");
  EXPECT_EQ(SysctlNamespace("net"), "");
  EXPECT_EQ(SysctlNamespace("vm.swappiness"), "");
}

}  // namespace
}  // namespace cubelet::api
