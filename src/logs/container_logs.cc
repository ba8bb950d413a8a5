#include "logs/container_logs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cubelet::logs {
namespace {

// A record longer than this without a newline is not a CRI record (containerd
// splits lines at 16 KiB); it is handed to the writer (and skipped as
// malformed) so memory stays bounded.
constexpr size_t kMaxRecord = 1 << 20;

const std::string* First(const std::multimap<std::string, std::string>& query,
                         const std::string& name) {
  auto it = query.find(name);
  return it == query.end() ? nullptr : &it->second;
}

absl::Status ParseBool(const std::multimap<std::string, std::string>& query,
                       const std::string& name, bool* out) {
  const std::string* v = First(query, name);
  if (v == nullptr) return absl::OkStatus();
  std::string lower = absl::AsciiStrToLower(*v);
  if (lower.empty() || lower == "1" || lower == "t" || lower == "true") {
    *out = true;
  } else if (lower == "0" || lower == "f" || lower == "false") {
    *out = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", name, " \"", *v, "\": must be true or false"));
  }
  return absl::OkStatus();
}

absl::Status ParseInt(const std::multimap<std::string, std::string>& query, const std::string& name,
                      int64_t min, std::optional<int64_t>* out) {
  const std::string* v = First(query, name);
  if (v == nullptr) return absl::OkStatus();
  int64_t n;
  if (!absl::SimpleAtoi(*v, &n) || n < min) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid ", name, " \"", *v, "\": must be an integer greater than or equal to ", min));
  }
  *out = n;
  return absl::OkStatus();
}

absl::Status ErrnoStatus(int err, const char* what, const std::string& path) {
  std::string msg = absl::StrCat(what, " ", path, ": ", std::strerror(err));
  return err == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
}

}  // namespace

absl::StatusOr<LogOptions> ParseLogOptions(const std::multimap<std::string, std::string>& query,
                                           absl::Time now) {
  LogOptions o;
  absl::Status s;
  if (s = ParseInt(query, "tailLines", 0, &o.tail_lines); !s.ok()) return s;
  if (s = ParseInt(query, "limitBytes", 1, &o.limit_bytes); !s.ok()) return s;
  if (s = ParseBool(query, "follow", &o.follow); !s.ok()) return s;
  if (s = ParseBool(query, "previous", &o.previous); !s.ok()) return s;
  if (s = ParseBool(query, "timestamps", &o.timestamps); !s.ok()) return s;
  std::optional<int64_t> since_seconds;
  if (s = ParseInt(query, "sinceSeconds", 1, &since_seconds); !s.ok()) return s;
  const std::string* since_time = First(query, "sinceTime");
  if (since_seconds.has_value() && since_time != nullptr) {
    return absl::InvalidArgumentError("at most one of sinceTime or sinceSeconds may be specified");
  }
  if (since_seconds.has_value()) o.since = now - absl::Seconds(*since_seconds);
  if (since_time != nullptr) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, *since_time, &t, &err)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid sinceTime \"", *since_time, "\": must be an RFC 3339 time"));
    }
    o.since = t;
  }
  return o;
}

std::string ContainerLogDir(const std::string& pod_logs_dir, const api::Pod& pod,
                            const std::string& container) {
  return absl::StrCat(pod_logs_dir, "/", pod.metadata.namespace_, "_", pod.metadata.name, "_",
                      pod.metadata.uid, "/", container);
}

std::vector<int64_t> ListLogNumbers(const std::string& dir) {
  std::vector<int64_t> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    absl::string_view name = e->d_name;
    if (!absl::ConsumeSuffix(&name, ".log") || name.empty()) continue;
    if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    int64_t n;
    if (absl::SimpleAtoi(name, &n)) out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(), std::greater<int64_t>());
  return out;
}

absl::StatusOr<std::unique_ptr<LogFileReader>> LogFileReader::Open(const std::string& path,
                                                                   const LogOptions& options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "stat", path);
  }
  int64_t start = 0;
  if (options.tail_lines.has_value()) {
    absl::StatusOr<int64_t> tail = FindTailStart(fd, st.st_size, *options.tail_lines);
    if (!tail.ok()) {
      ::close(fd);
      return tail.status();
    }
    start = *tail;
  }
  std::optional<int64_t> stop_at;
  if (!options.follow) stop_at = st.st_size;
  return std::unique_ptr<LogFileReader>(new LogFileReader(path, fd, start, stop_at,
                                                          {.timestamps = options.timestamps,
                                                           .limit_bytes = options.limit_bytes,
                                                           .since = options.since}));
}

LogFileReader::LogFileReader(std::string path, int fd, int64_t offset,
                             std::optional<int64_t> stop_at, CriLogWriter::Options writer_options)
    : path_(std::move(path)),
      fd_(fd),
      offset_(offset),
      stop_at_(stop_at),
      writer_(writer_options) {}

LogFileReader::~LogFileReader() { ::close(fd_); }

absl::StatusOr<size_t> LogFileReader::Read(std::string* out, size_t max_bytes) {
  if (writer_.limit_reached()) return 0;
  size_t want = max_bytes;
  if (stop_at_.has_value()) {
    want = static_cast<size_t>(
        std::clamp<int64_t>(*stop_at_ - offset_, 0, static_cast<int64_t>(max_bytes)));
  }
  if (want == 0) return 0;
  const size_t old_size = pending_.size();
  pending_.resize(old_size + want);
  ssize_t n;
  do {
    n = ::pread(fd_, pending_.data() + old_size, want, offset_);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int err = errno;
    pending_.resize(old_size);
    return ErrnoStatus(err, "read", path_);
  }
  pending_.resize(old_size + static_cast<size_t>(n));
  offset_ += n;

  size_t consumed = 0;
  while (!writer_.limit_reached()) {
    size_t nl = pending_.find('\n', consumed);
    if (nl == std::string::npos) {
      if (pending_.size() - consumed <= kMaxRecord) break;
      nl = pending_.size();  // give up on finding the end of this "record"
    }
    writer_.AppendLine(std::string_view(pending_).substr(consumed, nl - consumed), out);
    consumed = std::min(nl + 1, pending_.size());
  }
  pending_.erase(0, consumed);
  return static_cast<size_t>(n);
}

bool LogFileReader::ReopenIfReplaced() {
  struct stat now, open_file;
  if (::stat(path_.c_str(), &now) != 0 || ::fstat(fd_, &open_file) != 0) return false;
  if (now.st_dev != open_file.st_dev || now.st_ino != open_file.st_ino) {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ::close(fd_);
    fd_ = fd;
  } else if (open_file.st_size >= offset_) {
    return false;
  }
  // Rotated or truncated: the new content starts at a record boundary.
  offset_ = 0;
  pending_.clear();
  return true;
}

}  // namespace cubelet::logs
