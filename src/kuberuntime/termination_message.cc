#include "kuberuntime/termination_message.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "logs/container_logs.h"

namespace cubelet::kuberuntime {
namespace {

// A random name for one container instance's file: the directory is already
// per pod and container, so the name only needs to differ between instances
// (upstream uses a UUID).
std::string RandomId() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return absl::StrFormat("%016x%08x", gen(), static_cast<uint32_t>(gen()));
}

}  // namespace

absl::StatusOr<cri::Mount> MakeTerminationMessageMount(const std::string& pod_container_dir,
                                                       const std::string& container_path) {
  std::error_code ec;
  std::filesystem::create_directories(pod_container_dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("mkdir ", pod_container_dir, ": ", ec.message()));
  }
  ::chmod(pod_container_dir.c_str(), 0750);
  const std::string path = absl::StrCat(pod_container_dir, "/", RandomId());
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return absl::InternalError(absl::StrCat("create ", path, ": ", strerror(errno)));
  ::close(fd);
  // open(2) applied the umask.
  if (::chmod(path.c_str(), 0666) != 0) {
    return absl::InternalError(absl::StrCat("chmod ", path, ": ", strerror(errno)));
  }
  return cri::Mount{.container_path = container_path, .host_path = path};
}

std::string ReadLastStringFromContainerLogs(const std::string& log_path) {
  absl::StatusOr<std::unique_ptr<logs::LogFileReader>> reader = logs::LogFileReader::Open(
      log_path, logs::LogOptions{.tail_lines = kMaxTerminationMessageLogLines});
  if (!reader.ok()) {
    return absl::StrCat("Error on reading termination message from logs: ",
                        reader.status().message());
  }
  std::string text;
  while (true) {
    absl::StatusOr<size_t> n = (*reader)->Read(&text);
    if (!n.ok()) {
      return absl::StrCat("Error on reading termination message from logs: ", n.status().message());
    }
    if (*n == 0) break;
    // Only the end is kept (upstream writes into a circular buffer).
    if (text.size() > 4 * kMaxTerminationMessageLogLength) {
      text.erase(0, text.size() - kMaxTerminationMessageLogLength);
    }
  }
  if (text.size() > kMaxTerminationMessageLogLength) {
    text.erase(0, text.size() - kMaxTerminationMessageLogLength);
  }
  return text;
}

std::string TerminationMessage(const cri::ContainerStatus& status,
                               const std::string& termination_message_path,
                               const std::string& policy) {
  // A container that could not even start has no logs to fall back to.
  bool fallback_to_logs = policy == kTerminationMessageFallbackToLogsOnError &&
                          status.exit_code != 0 && status.reason != "ContainerCannotRun";
  std::string message;
  bool check_logs = fallback_to_logs;
  if (!termination_message_path.empty()) {
    for (const cri::Mount& m : status.mounts) {
      if (m.container_path != termination_message_path) continue;
      int fd = ::open(m.host_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        if (errno == ENOENT) break;
        return absl::StrCat("Error on reading termination log ", m.host_path, ": ",
                            strerror(errno));
      }
      // The end of the file, as upstream's tail.ReadAtMost.
      struct stat st;
      off_t start = 0;
      if (::fstat(fd, &st) == 0 && st.st_size > static_cast<off_t>(kMaxTerminationMessageLength)) {
        start = st.st_size - static_cast<off_t>(kMaxTerminationMessageLength);
      }
      message.resize(kMaxTerminationMessageLength);
      size_t got = 0;
      while (got < message.size()) {
        ssize_t n = ::pread(fd, message.data() + got, message.size() - got, start + got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
      ::close(fd);
      message.resize(got);
      check_logs = fallback_to_logs && message.empty();
      break;
    }
  }
  if (check_logs) return ReadLastStringFromContainerLogs(status.log_path);
  return message;
}

}  // namespace cubelet::kuberuntime
