// Mounter: the few mount operations the volume manager needs (tmpfs mount,
// unmount, listing mount points), behind an interface so the volume logic is
// testable without root. SystemMounter does them with mount(2)/umount2(2) and
// /proc/self/mountinfo in the agent's own mount namespace, which is the one
// the container runtime bind-mounts host paths from.
//
// Thread-safety: implementations must be safe to call from any thread.
#ifndef CUBELET_VOLUME_MOUNTER_H_
#define CUBELET_VOLUME_MOUNTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cubelet::volume {

struct MountPoint {
  std::string path;     // where it is mounted (unescaped)
  std::string fs_type;  // "tmpfs", "ext4", ...
  std::string source;
  bool shared = false;  // its propagation is shared (a "shared:N" peer group)

  bool operator==(const MountPoint&) const = default;
};

// Parses /proc/<pid>/mountinfo text; malformed lines are skipped. Mount
// points come unescaped (the kernel writes space, tab, newline and backslash
// as \ooo).
std::vector<MountPoint> ParseMountInfo(std::string_view text);

// Whether `path` lies on a shared mount: the innermost mount point holding
// it has a peer group.
bool IsOnSharedMount(const std::string& path, const std::vector<MountPoint>& mounts);

// Upstream's MakeRShared for the agent's root dir: unless `path` already
// lies on a shared mount, bind-mounts it onto itself and makes that mount
// recursively shared, so that a volume under it may be mounted with
// Bidirectional propagation (containerd refuses it from a private source)
// and what a container mounts there reaches the host. Never undone, as
// upstream: containers may still depend on it when the agent restarts.
absl::Status MakeRShared(const std::string& path);

class Mounter {
 public:
  virtual ~Mounter() = default;
  // Mounts a fresh tmpfs at `target` (an existing directory), limited to
  // `size_bytes` when given (otherwise the kernel's default, half of RAM).
  virtual absl::Status MountTmpfs(const std::string& target, std::optional<int64_t> size_bytes) = 0;
  virtual absl::Status Unmount(const std::string& target) = 0;
  virtual absl::StatusOr<std::vector<MountPoint>> List() = 0;
};

// mount(2) and /proc/self/mountinfo. Stateless; one process-wide instance.
Mounter* SystemMounter();

}  // namespace cubelet::volume

#endif  // CUBELET_VOLUME_MOUNTER_H_
