// AtomicWriter: publishes a set of files into a volume directory so readers
// never see a half-written mix (the kubelet's pkg/volume/util AtomicWriter,
// used by downwardAPI, configMap, secret and projected volumes).
//
// Layout of the target directory:
//   ..<timestamp>/<files>   one complete payload
//   ..data -> ..<timestamp> swapped with a rename(2), the atomic step
//   <top-level name> -> ..data/<top-level name>, for each payload path
// A write whose payload equals what ..data already holds changes nothing;
// otherwise the new payload goes into a fresh directory, ..data is swapped,
// user-visible links are added or removed, and the old directory deleted.
//
// Not thread-safe for one target directory (the pod workers serialise the
// calls for a pod); stateless otherwise.
#ifndef CUBELET_VOLUME_ATOMIC_WRITER_H_
#define CUBELET_VOLUME_ATOMIC_WRITER_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace cubelet::volume {

struct FileProjection {
  std::string data;
  mode_t mode = 0644;
  bool operator==(const FileProjection&) const = default;
};

// Relative path (no "..", not absolute) -> content and mode.
using Payload = std::map<std::string, FileProjection>;

// Writes `payload` into `target_dir` (created if missing). With `fs_group`,
// the files and directories are chowned to that group (and directories get
// the set-group-ID bit), as the kubelet's SetVolumeOwnership.
absl::Status WritePayload(const std::string& target_dir, const Payload& payload,
                          std::optional<int64_t> fs_group = std::nullopt);

}  // namespace cubelet::volume

#endif  // CUBELET_VOLUME_ATOMIC_WRITER_H_
