// The hostPath volume type check (the kubelet's hostpath plugin, checkType):
// what must be at the path before a container may mount it, and what to
// create when the type says so.
//
// Stateless; safe from any thread (two callers creating the same path race
// as mkdir/open do, which both tolerate).
#ifndef CUBELET_VOLUME_HOST_PATH_H_
#define CUBELET_VOLUME_HOST_PATH_H_

#include <string>

#include "absl/status/status.h"

namespace cubelet::volume {

inline constexpr char kHostPathUnset[] = "";
inline constexpr char kHostPathDirectoryOrCreate[] = "DirectoryOrCreate";
inline constexpr char kHostPathDirectory[] = "Directory";
inline constexpr char kHostPathFileOrCreate[] = "FileOrCreate";
inline constexpr char kHostPathFile[] = "File";
inline constexpr char kHostPathSocket[] = "Socket";
inline constexpr char kHostPathCharDevice[] = "CharDevice";
inline constexpr char kHostPathBlockDevice[] = "BlockDevice";

// "" checks nothing. DirectoryOrCreate makes the directory and its parents
// (0755) when nothing is there; FileOrCreate makes an empty file (0644) but
// not its parent, as upstream. The other types only check; symlinks are
// followed. Errors carry upstream's texts ("hostPath type check failed: <path>
// is not a directory", "path <path> does not exist", ...).
absl::Status CheckHostPathType(const std::string& path, const std::string& type);

}  // namespace cubelet::volume

#endif  // CUBELET_VOLUME_HOST_PATH_H_
