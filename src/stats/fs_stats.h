// Filesystem figures for /stats/summary: a filesystem's size and free space
// and inodes (statvfs), and how much a directory tree uses (like `du -x`:
// allocated blocks, each inode once, symlinks not followed, other
// filesystems not entered).
//
// Stateless functions; safe from any thread.
#ifndef CUBELET_STATS_FS_STATS_H_
#define CUBELET_STATS_FS_STATS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace cubelet::stats {

struct FsInfo {
  uint64_t capacity = 0;   // bytes
  uint64_t available = 0;  // bytes an unprivileged user may still write
  uint64_t used = 0;       // capacity minus free
  uint64_t inodes = 0;
  uint64_t inodes_free = 0;
};

// The filesystem holding `path`; the error names the path.
absl::StatusOr<FsInfo> StatFs(const std::string& path);

struct DiskUsage {
  uint64_t bytes = 0;
  uint64_t inodes = 0;
};

// The tree under `path` (itself included); a missing path uses nothing.
DiskUsage MeasureDiskUsage(const std::string& path);

}  // namespace cubelet::stats

#endif  // CUBELET_STATS_FS_STATS_H_
