#include "volume/subpath.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cubelet::volume {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  void reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

absl::Status Errno(const std::string& what, const std::string& path, int err) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

}  // namespace

absl::Status SafeMakeDir(const std::string& base, const std::string& sub_path, mode_t mode) {
  Fd dir(open(base.c_str(), kDirFlags));
  if (dir.get() < 0) return Errno("cannot open volume directory", base, errno);
  std::string path = base;
  for (absl::string_view part : absl::StrSplit(sub_path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("subPath ", sub_path, " leaves its volume"));
    }
    const std::string name(part);
    absl::StrAppend(&path, "/", name);
    bool created = false;
    if (mkdirat(dir.get(), name.c_str(), mode & 0777) == 0) {
      created = true;
    } else if (errno != EEXIST) {
      return Errno("cannot create subPath directory", path, errno);
    }
    int next = openat(dir.get(), name.c_str(), kDirFlags);
    if (next < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        return absl::FailedPreconditionError(
            absl::StrCat("subPath ", path, " is not a directory inside its volume (a symlink?)"));
      }
      return Errno("cannot open subPath directory", path, errno);
    }
    dir.reset(next);
    // mkdir masks the mode with the umask and drops setgid/sticky: set it
    // on the directory just opened (no path lookup to race with).
    if (created && fchmod(dir.get(), mode & 07777) != 0) {
      return Errno("cannot set the mode of subPath directory", path, errno);
    }
  }
  return absl::OkStatus();
}

absl::Status MakeMissingSubPath(const std::string& volume_path, const std::string& sub_path) {
  struct stat volume;
  if (stat(volume_path.c_str(), &volume) != 0 || !S_ISDIR(volume.st_mode)) {
    return absl::OkStatus();
  }
  struct stat existing;
  if (stat(absl::StrCat(volume_path, "/", sub_path).c_str(), &existing) == 0) {
    return absl::OkStatus();
  }
  return SafeMakeDir(volume_path, sub_path, volume.st_mode & 07777);
}

}  // namespace cubelet::volume
