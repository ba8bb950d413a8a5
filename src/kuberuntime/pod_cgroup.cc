#include "kuberuntime/pod_cgroup.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cubelet::kuberuntime {

std::string PodCgroupParent(const std::string& cgroup_root, const std::string& pod_uid) {
  std::string root(absl::StripSuffix(cgroup_root, "/"));
  return absl::StrCat(root, "/pod", pod_uid);
}

absl::Status RemovePodCgroup(const std::string& cgroup_root, const std::string& pod_uid,
                             const std::string& cgroup_fs) {
  namespace fs = std::filesystem;
  std::string relative(absl::StripPrefix(PodCgroupParent(cgroup_root, pod_uid), "/"));
  std::vector<fs::path> candidates = {fs::path(cgroup_fs) / relative};  // v2 / unified root
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cgroup_fs, ec)) {
    if (entry.is_directory(ec)) candidates.push_back(entry.path() / relative);
  }
  absl::Status result;
  for (const fs::path& dir : candidates) {
    // A cgroup directory only goes away with rmdir (its control files cannot
    // be unlinked), and only once no process is left in it.
    if (rmdir(dir.c_str()) == 0 || errno == ENOENT || errno == ENOTDIR) continue;
    if (result.ok()) {
      result = absl::FailedPreconditionError(
          absl::StrCat("cannot remove pod cgroup ", dir.string(), ": ", std::strerror(errno)));
    }
  }
  return result;
}

}  // namespace cubelet::kuberuntime
