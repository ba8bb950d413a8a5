// Env files: what `env[].valueFrom.fileKeyRef` reads (the EnvFiles feature,
// upstream pkg/kubelet/util/env ParseEnv). A file of KEY='value' lines, a
// strict subset of POSIX shell: values are single-quoted and literal (no
// escapes, no expansion) and may span lines; `#` starts a comment line or a
// comment after the closing quote; blank lines are skipped.
//
// Stateless functions; any thread.
#ifndef CUBELET_KUBERUNTIME_ENV_FILE_H_
#define CUBELET_KUBERUNTIME_ENV_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cubelet::kuberuntime {

// The value of `key` in `content`; "" when the key is absent (as upstream,
// an empty value cannot be told from an absent key). InvalidArgument names
// the line of the first syntax error before the key is found.
absl::StatusOr<std::string> ParseEnvFileValue(std::string_view content, std::string_view key);

// Reads `path` (relative, within `root`: symlinks are resolved inside `root`,
// so a container cannot point the agent at a host file) and parses it.
absl::StatusOr<std::string> ReadEnvFileValue(const std::string& root, const std::string& path,
                                             std::string_view key);

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_ENV_FILE_H_
