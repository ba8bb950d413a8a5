#include "volume/mounter.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cubelet::volume {
namespace {

// mountinfo escapes with \ooo (three octal digits).
std::string Unescape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size()) {
      int v = 0;
      bool octal = true;
      for (size_t j = 1; j <= 3; ++j) {
        char c = in[i + j];
        if (c < '0' || c > '7') octal = false;
        v = v * 8 + (c - '0');
      }
      if (octal) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

class SystemMounterImpl final : public Mounter {
 public:
  absl::Status MountTmpfs(const std::string& target, std::optional<int64_t> size_bytes) override {
    std::string data;
    if (size_bytes.has_value()) data = absl::StrCat("size=", *size_bytes);
    // No nosuid/nodev: upstream's emptyDir tmpfs has only size=.
    if (::mount("tmpfs", target.c_str(), "tmpfs", 0, data.empty() ? nullptr : data.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("mount tmpfs at ", target, ": ", strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::Status Unmount(const std::string& target) override {
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) != 0) {
      return absl::InternalError(absl::StrCat("unmount ", target, ": ", strerror(errno)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<MountPoint>> List() override {
    std::ifstream in("/proc/self/mountinfo");
    if (!in) return absl::InternalError("cannot read /proc/self/mountinfo");
    std::stringstream text;
    text << in.rdbuf();
    return ParseMountInfo(text.str());
  }
};

}  // namespace

std::vector<MountPoint> ParseMountInfo(std::string_view text) {
  std::vector<MountPoint> out;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    // <id> <parent> <maj:min> <root> <mount point> <options> [optional...] - <fs> <source> <super>
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() < 7) continue;
    size_t sep = 6;
    while (sep < f.size() && f[sep] != "-") ++sep;
    if (sep + 2 >= f.size()) continue;
    bool shared = false;
    for (size_t i = 6; i < sep; ++i) shared = shared || absl::StartsWith(f[i], "shared:");
    out.push_back(
        MountPoint{.path = Unescape(std::string_view(f[4].data(), f[4].size())),
                   .fs_type = std::string(f[sep + 1]),
                   .source = Unescape(std::string_view(f[sep + 2].data(), f[sep + 2].size())),
                   .shared = shared});
  }
  return out;
}

bool IsOnSharedMount(const std::string& path, const std::vector<MountPoint>& mounts) {
  // The last mount over the longest prefix is the one that holds the path.
  const MountPoint* holder = nullptr;
  for (const MountPoint& m : mounts) {
    const bool holds = m.path == "/" || path == m.path || absl::StartsWith(path, m.path + "/");
    if (holds && (holder == nullptr || m.path.size() >= holder->path.size())) holder = &m;
  }
  return holder != nullptr && holder->shared;
}

absl::Status MakeRShared(const std::string& path) {
  absl::StatusOr<std::vector<MountPoint>> mounts = SystemMounter()->List();
  if (!mounts.ok()) return mounts.status();
  if (IsOnSharedMount(path, *mounts)) return absl::OkStatus();
  if (::mount(path.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0) {
    return absl::InternalError(
        absl::StrCat("bind-mounting ", path, " onto itself: ", strerror(errno)));
  }
  if (::mount(path.c_str(), path.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) {
    return absl::InternalError(absl::StrCat("making ", path, " rshared: ", strerror(errno)));
  }
  return absl::OkStatus();
}

Mounter* SystemMounter() {
  static SystemMounterImpl* const mounter = new SystemMounterImpl();
  return mounter;
}

}  // namespace cubelet::volume
