#include "volume/host_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace cubelet::volume {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Stats `path` and checks its file type against `mask` (S_IFDIR, ...).
absl::Status IsType(const std::string& path, mode_t mask, const char* what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("path ", path, " does not exist"));
    return absl::InternalError(absl::StrCat("stat ", path, ": ", strerror(errno)));
  }
  if ((st.st_mode & S_IFMT) != mask) {
    return absl::FailedPreconditionError(
        absl::StrCat("hostPath type check failed: ", path, " is not ", what));
  }
  return absl::OkStatus();
}

// mkdir -p with 0755 for every directory it makes (umask permitting), as
// Go's os.MkdirAll(path, 0755).
absl::Status MakeDir(const std::string& path) {
  std::filesystem::path partial;
  for (const std::filesystem::path& part : std::filesystem::path(path)) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat("mkdir ", partial.string(), ": ", strerror(errno)));
    }
  }
  return IsType(path, S_IFDIR, "a directory");
}

absl::Status MakeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_RDONLY | O_CLOEXEC, 0644);
  if (fd < 0) return absl::InternalError(absl::StrCat("create ", path, ": ", strerror(errno)));
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckHostPathType(const std::string& path, const std::string& type) {
  if (type == kHostPathUnset) return absl::OkStatus();
  if (type == kHostPathDirectoryOrCreate) {
    if (!Exists(path)) return MakeDir(path);
    return IsType(path, S_IFDIR, "a directory");
  }
  if (type == kHostPathDirectory) return IsType(path, S_IFDIR, "a directory");
  if (type == kHostPathFileOrCreate) {
    if (!Exists(path)) return MakeFile(path);
    return IsType(path, S_IFREG, "a file");
  }
  if (type == kHostPathFile) return IsType(path, S_IFREG, "a file");
  if (type == kHostPathSocket) return IsType(path, S_IFSOCK, "a socket file");
  if (type == kHostPathCharDevice) return IsType(path, S_IFCHR, "a character device");
  if (type == kHostPathBlockDevice) return IsType(path, S_IFBLK, "a block device");
  return absl::InvalidArgumentError(absl::StrCat(type, " is an invalid volume type"));
}

}  // namespace cubelet::volume
