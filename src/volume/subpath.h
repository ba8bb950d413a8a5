// Creating a container's missing subPath inside its volume, as the kubelet's
// makeMounts does before the runtime sees the mount: with the volume
// directory's own mode (an emptyDir's 0777, a tmpfs's sticky bit, an
// fsGroup's setgid; the group then comes from the setgid parent), never
// following a symlink the pod may have planted (upstream SafeMakeDir). Left
// to the runtime, the directory would be created 0755 root:root.
//
// Stateless; safe from any thread (mkdir races tolerate EEXIST).
#ifndef CUBELET_VOLUME_SUBPATH_H_
#define CUBELET_VOLUME_SUBPATH_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace cubelet::volume {

// Creates each missing component of `sub_path` (relative, without "..")
// under `base`, opening every component with O_NOFOLLOW so that nothing
// outside `base` is created or changed; new directories get `mode`
// (permission, setgid and sticky bits). Existing components are kept as
// they are. A symlink on the way is refused.
absl::Status SafeMakeDir(const std::string& base, const std::string& sub_path, mode_t mode);

// The kubelet's step: nothing when `volume_path` does not exist (nothing to
// take the mode from) or `volume_path`/`sub_path` already exists; else
// SafeMakeDir with the volume directory's mode.
absl::Status MakeMissingSubPath(const std::string& volume_path, const std::string& sub_path);

}  // namespace cubelet::volume

#endif  // CUBELET_VOLUME_SUBPATH_H_
