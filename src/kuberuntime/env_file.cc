#include "kuberuntime/env_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cubelet::kuberuntime {
namespace {

std::string_view TrimLeft(std::string_view s) {
  size_t i = s.find_first_not_of(" \t");
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}

absl::Status LineError(size_t line, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid environment variable format at line ", line, ": ", std::string(what)));
}

}  // namespace

absl::StatusOr<std::string> ParseEnvFileValue(std::string_view content, std::string_view key) {
  std::vector<std::string_view> lines;
  for (size_t from = 0; from <= content.size();) {
    size_t nl = content.find('\n', from);
    if (nl == std::string_view::npos) nl = content.size();
    std::string_view line = content.substr(from, nl - from);
    // As Go's bufio.ScanLines: a carriage return before the newline is dropped.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    from = nl + 1;
  }
  // A final newline ends the last line; it does not start an empty one.
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t line_no = i + 1;
    std::string_view line = TrimLeft(lines[i]);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return LineError(line_no, "missing '='");
    std::string_view name = line.substr(0, eq);
    size_t end = name.find_last_not_of(" \t");
    if (end == std::string_view::npos) return LineError(line_no, "empty variable name");
    if (end + 1 != name.size()) return LineError(line_no, "whitespace before '=' is not allowed");
    std::string_view value = line.substr(eq + 1);
    if (TrimLeft(value).size() != value.size()) {
      // KEY= 'v' assigns the empty string, as the shell does.
      if (name == key) return std::string();
      continue;
    }
    if (value.empty() || value.front() != '\'') {
      return LineError(line_no, "value must be enclosed in single quotes");
    }
    std::string out;
    std::string_view rest = value.substr(1);
    const size_t start_line = line_no;
    size_t at = i;
    while (true) {
      size_t close = rest.find('\'');
      if (close != std::string_view::npos) {
        out.append(rest.substr(0, close));
        std::string_view after = TrimLeft(rest.substr(close + 1));
        if (!after.empty() && after.front() != '#') {
          return LineError(at + 1, "unexpected content after closing quote");
        }
        break;
      }
      out.append(rest);
      out.push_back('\n');
      if (++at >= lines.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid environment variable format starting at line ", start_line,
                         ": unclosed single quote"));
      }
      rest = lines[at];
    }
    if (name == key) return out;
    i = at;
  }
  return std::string();
}

absl::StatusOr<std::string> ReadEnvFileValue(const std::string& root, const std::string& path,
                                             std::string_view key) {
  int dir = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("open volume directory \"", root, "\""));
  }
  struct open_how how = {};
  // O_NONBLOCK: a FIFO must not block the agent.
  how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof(how)));
  int open_errno = errno;
  ::close(dir);
  const std::string file = absl::StrCat(root, "/", path);
  if (fd < 0) {
    return absl::ErrnoToStatus(
        open_errno, absl::StrCat("failed to open environment variable file \"", file, "\""));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("environment variable file \"", file, "\" is not a regular file"));
  }
  std::string content;
  char buf[16 * 1024];
  // Env files are small; a bound keeps a hostile container from making the
  // agent read a huge (or endless) file.
  constexpr size_t kMaxEnvFileBytes = 1 << 20;
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int read_errno = errno;
      ::close(fd);
      return absl::ErrnoToStatus(read_errno,
                                 absl::StrCat("read environment variable file \"", file, "\""));
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > kMaxEnvFileBytes) {
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable file \"", file, "\" is larger than 1 MiB"));
    }
  }
  ::close(fd);
  return ParseEnvFileValue(content, key);
}

}  // namespace cubelet::kuberuntime
