#include "stats/fs_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace cubelet::stats {

absl::StatusOr<FsInfo> StatFs(const std::string& path) {
  struct statvfs st;
  if (statvfs(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("statvfs ", path, ": ", std::strerror(errno)));
  }
  const uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  return FsInfo{.capacity = st.f_blocks * unit,
                .available = st.f_bavail * unit,
                .used = (st.f_blocks - st.f_bfree) * unit,
                .inodes = st.f_files,
                .inodes_free = st.f_ffree};
}

DiskUsage MeasureDiskUsage(const std::string& path) {
  DiskUsage out;
  struct stat top;
  if (lstat(path.c_str(), &top) != 0) return out;
  absl::flat_hash_set<std::pair<dev_t, ino_t>> seen;
  auto count = [&](const struct stat& st) {
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) return;
    out.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    out.inodes += 1;
  };
  count(top);
  if (!S_ISDIR(top.st_mode)) return out;
  std::vector<std::string> stack = {path};
  while (!stack.empty()) {
    const std::string dir = std::move(stack.back());
    stack.pop_back();
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    DIR* d = fdopendir(fd);
    if (d == nullptr) {
      close(fd);
      continue;
    }
    while (struct dirent* e = readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      struct stat st;
      if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (st.st_dev != top.st_dev) continue;  // another filesystem mounted here
      count(st);
      if (S_ISDIR(st.st_mode)) stack.push_back(absl::StrCat(dir, "/", e->d_name));
    }
    closedir(d);
  }
  return out;
}

}  // namespace cubelet::stats
