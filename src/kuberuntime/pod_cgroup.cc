#include "kuberuntime/pod_cgroup.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "util/log.h"

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

std::vector<std::string> ListPodCgroups(const std::string& cgroup_root,
                                        const std::string& cgroup_fs) {
  namespace fs = std::filesystem;
  const std::string relative(absl::StripPrefix(absl::StripSuffix(cgroup_root, "/"), "/"));
  // cgroup v2 has one tree at cgroup_fs; v1 one per controller below it.
  std::vector<fs::path> roots = {fs::path(cgroup_fs) / relative};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cgroup_fs, ec)) {
    if (entry.is_directory(ec)) roots.push_back(entry.path() / relative);
  }
  absl::flat_hash_set<std::string> uids;
  for (const fs::path& root : roots) {
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      const std::string name = entry.path().filename().string();
      absl::string_view uid = name;
      if (absl::ConsumePrefix(&uid, "pod") && !uid.empty() && entry.is_directory(ec)) {
        uids.insert(std::string(uid));
      }
    }
  }
  std::vector<std::string> out(uids.begin(), uids.end());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> RemoveOrphanedPodCgroups(const std::string& cgroup_root,
                                                  const absl::flat_hash_set<std::string>& keep,
                                                  const std::string& cgroup_fs) {
  std::vector<std::string> removed;
  for (const std::string& uid : ListPodCgroups(cgroup_root, cgroup_fs)) {
    if (keep.contains(uid)) continue;
    if (absl::Status s = RemovePodCgroup(cgroup_root, uid, cgroup_fs); !s.ok()) {
      VLOG(1) << "Orphaned pod cgroup of " << uid << " not removed: " << s.message();
      continue;
    }
    LOG(INFO) << "Removed orphaned pod cgroup of " << uid;
    removed.push_back(uid);
  }
  return removed;
}

}  // namespace cubelet::kuberuntime
