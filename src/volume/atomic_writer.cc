#include "volume/atomic_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cubelet::volume {
namespace {

namespace fs = std::filesystem;

constexpr char kDataDirName[] = "..data";
constexpr char kNewDataDirName[] = "..data_tmp";

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", strerror(errno)));
}

bool ValidPath(const std::string& p) {
  if (p.empty() || p.front() == '/') return false;
  for (absl::string_view part : absl::StrSplit(p, '/')) {
    if (part.empty() || part == "..") return false;
    if (part.substr(0, 2) == "..") return false;  // reserved for the writer's own names
  }
  return true;
}

// What the current ..data holds, for the paths of `payload`; nullopt when
// anything differs or is missing.
bool SameAsCurrent(const std::string& data_dir, const Payload& payload) {
  std::error_code ec;
  if (!fs::exists(data_dir, ec)) return false;
  size_t files = 0;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) ++files;
  }
  if (ec || files != payload.size()) return false;
  for (const auto& [path, file] : payload) {
    const std::string full = absl::StrCat(data_dir, "/", path);
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0 || (st.st_mode & 07777) != file.mode) return false;
    std::ifstream in(full, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    if (s.str() != file.data) return false;
  }
  return true;
}

absl::Status Chgrp(const std::string& path, std::optional<int64_t> gid, bool dir) {
  if (!gid.has_value()) return absl::OkStatus();
  if (::lchown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(*gid)) != 0) {
    return Errno("chown", path);
  }
  if (dir) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Errno("stat", path);
    if (::chmod(path.c_str(), (st.st_mode & 07777) | S_ISGID) != 0) return Errno("chmod", path);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status WritePayload(const std::string& target_dir, const Payload& payload,
                          std::optional<int64_t> fs_group) {
  for (const auto& [path, file] : payload) {
    if (!ValidPath(path)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid payload path \"", path, "\""));
    }
  }
  std::error_code ec;
  fs::create_directories(target_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", target_dir, ": ", ec.message()));
  if (absl::Status s = Chgrp(target_dir, fs_group, true); !s.ok()) return s;
  const std::string data_link = absl::StrCat(target_dir, "/", kDataDirName);
  if (SameAsCurrent(data_link, payload)) return absl::OkStatus();

  // The previous payload directory, to delete once the swap is done.
  std::string old_dir;
  if (fs::is_symlink(data_link, ec)) old_dir = fs::read_symlink(data_link, ec).string();

  const std::string ts_name =
      absl::StrCat("..", absl::FormatTime("%Y_%m_%d_%H_%M_%E9S", absl::Now(), absl::UTCTimeZone()));
  const std::string ts_dir = absl::StrCat(target_dir, "/", ts_name);
  fs::create_directory(ts_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", ts_dir, ": ", ec.message()));
  ::chmod(ts_dir.c_str(), 0755);
  if (absl::Status s = Chgrp(ts_dir, fs_group, true); !s.ok()) return s;
  for (const auto& [path, file] : payload) {
    const std::string full = absl::StrCat(ts_dir, "/", path);
    const std::string parent = fs::path(full).parent_path().string();
    if (parent != ts_dir) {
      fs::create_directories(parent, ec);
      if (ec) return absl::InternalError(absl::StrCat("mkdir ", parent, ": ", ec.message()));
      if (absl::Status s = Chgrp(parent, fs_group, true); !s.ok()) return s;
    }
    int fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("open", full);
    const char* p = file.data.data();
    size_t left = file.data.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        ::close(fd);
        return Errno("write", full);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    ::close(fd);
    if (::chmod(full.c_str(), file.mode) != 0) return Errno("chmod", full);
    if (absl::Status s = Chgrp(full, fs_group, false); !s.ok()) return s;
  }

  // The swap: a new link renamed over ..data.
  const std::string tmp_link = absl::StrCat(target_dir, "/", kNewDataDirName);
  fs::remove(tmp_link, ec);
  if (::symlink(ts_name.c_str(), tmp_link.c_str()) != 0) return Errno("symlink", tmp_link);
  if (::rename(tmp_link.c_str(), data_link.c_str()) != 0) return Errno("rename", tmp_link);

  // User-visible names: one link per top-level entry; stale ones go.
  std::set<std::string> top;
  for (const auto& [path, file] : payload) top.insert(path.substr(0, path.find('/')));
  for (const std::string& name : top) {
    const std::string link = absl::StrCat(target_dir, "/", name);
    if (fs::is_symlink(link, ec)) continue;
    if (::symlink(absl::StrCat(kDataDirName, "/", name).c_str(), link.c_str()) != 0) {
      return Errno("symlink", link);
    }
  }
  for (const auto& entry : fs::directory_iterator(target_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("..", 0) == 0 || top.contains(name)) continue;
    if (fs::is_symlink(entry.path(), ec)) fs::remove(entry.path(), ec);
  }
  if (!old_dir.empty() && old_dir != ts_name && old_dir.rfind("..", 0) == 0) {
    fs::remove_all(absl::StrCat(target_dir, "/", old_dir), ec);
  }
  return absl::OkStatus();
}

}  // namespace cubelet::volume
