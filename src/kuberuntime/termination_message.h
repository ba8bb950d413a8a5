// Termination messages (kuberuntime_container.go makeMounts,
// getTerminationMessage, readLastStringFromContainerLogs): each container
// instance gets a fresh host file, bind-mounted writable at its
// terminationMessagePath; once the container has exited, the file's content
// (or, with FallbackToLogsOnError, the tail of its log) becomes the
// terminated state's message.
//
// Stateless functions; safe from any thread.
#ifndef CUBELET_KUBERUNTIME_TERMINATION_MESSAGE_H_
#define CUBELET_KUBERUNTIME_TERMINATION_MESSAGE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "cri/types.h"

namespace cubelet::kuberuntime {

// kubecontainer.MaxContainerTerminationMessageLength and the log fallback's
// limits (...LogLength, ...LogLines).
inline constexpr size_t kMaxTerminationMessageLength = 4096;
inline constexpr size_t kMaxTerminationMessageLogLength = 2048;
inline constexpr int64_t kMaxTerminationMessageLogLines = 80;

inline constexpr char kTerminationMessageFallbackToLogsOnError[] = "FallbackToLogsOnError";

// Creates an empty file (mode 0666, whatever the umask: the container may run
// as any user) with a random name in `pod_container_dir` (made 0750 if
// missing) and returns the mount of it at `container_path`.
absl::StatusOr<cri::Mount> MakeTerminationMessageMount(const std::string& pod_container_dir,
                                                       const std::string& container_path);

// The message of an exited container: the content of the host file mounted
// at `termination_message_path` (its last kMaxTerminationMessageLength bytes);
// when that is empty or missing and `policy` is FallbackToLogsOnError, the
// exit code is non-zero and the container ran (reason not
// "ContainerCannotRun"), the last kMaxTerminationMessageLogLines lines of its
// log, at most kMaxTerminationMessageLogLength bytes (the end kept).
std::string TerminationMessage(const cri::ContainerStatus& status,
                               const std::string& termination_message_path,
                               const std::string& policy);

// The tail of a CRI log file as above; an error text on failure (as upstream,
// the message says why the log could not be read).
std::string ReadLastStringFromContainerLogs(const std::string& log_path);

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_TERMINATION_MESSAGE_H_
