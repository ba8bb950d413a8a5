// MachineInfo: the facts about this machine a Node object reports (the
// kubelet gets them from cAdvisor's MachineInfo and VersionInfo): identity,
// kernel and OS, cores, memory and the root directory's filesystem size.
//
// ReadMachineInfo reads /etc, /proc and /sys once; tests build the struct by
// hand. Safe from any thread.
#ifndef CUBELET_NODESTATUS_MACHINE_INFO_H_
#define CUBELET_NODESTATUS_MACHINE_INFO_H_

#include <cstdint>
#include <string>

namespace cubelet::nodestatus {

struct MachineInfo {
  std::string hostname;        // lower-cased, as the kubelet's hostname override default
  std::string machine_id;      // /etc/machine-id
  std::string system_uuid;     // /sys/class/dmi/id/product_uuid (empty when unreadable)
  std::string boot_id;         // /proc/sys/kernel/random/boot_id
  std::string kernel_version;  // uname -r
  std::string os_image;        // PRETTY_NAME of /etc/os-release
  std::string operating_system = "linux";
  std::string architecture;  // Go's GOARCH name
  int64_t num_cores = 0;
  int64_t memory_capacity = 0;    // bytes, MemTotal
  int64_t ephemeral_storage = 0;  // bytes, the size of the filesystem holding root_dir
};

// Reads this machine; `root_dir` is the agent's state directory (its
// filesystem's size is the node's ephemeral-storage capacity).
MachineInfo ReadMachineInfo(const std::string& root_dir);

}  // namespace cubelet::nodestatus

#endif  // CUBELET_NODESTATUS_MACHINE_INFO_H_
