// Serving one container's log (GET /containerLogs/{namespace}/{pod}/{container}):
// the query options, where the kubelet's log files live, and LogFileReader,
// which turns one CRI log file into the served text piece by piece (the whole
// file, its tail, or what is appended while following).
//
// Files: <pod_logs_dir>/<namespace>_<pod name>_<pod uid>/<container>/<restart>.log;
// the current log is the largest <restart>, the previous one the next largest.
//
// Stateless functions are safe from any thread; a LogFileReader is used by one
// thread at a time and owns its file descriptor.
#ifndef CUBELET_LOGS_CONTAINER_LOGS_H_
#define CUBELET_LOGS_CONTAINER_LOGS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "logs/cri_log.h"

namespace cubelet::logs {

// The query parameters the endpoint understands (others are ignored).
struct LogOptions {
  std::optional<int64_t> tail_lines;   // tailLines=N, N >= 0
  bool follow = false;                 // follow=true
  bool previous = false;               // previous=true
  std::optional<int64_t> limit_bytes;  // limitBytes=N, N >= 1
  bool timestamps = false;             // timestamps=true
  // sinceSeconds=N (N >= 1, from `now`) or sinceTime=<RFC 3339>, not both:
  // records older than this are left out.
  std::optional<absl::Time> since;
};

// Parses the query (name -> value; the first value of a repeated name wins).
// Booleans: "", "1", "t", "true" (any case) are true; "0", "f", "false" are
// false. InvalidArgument names the bad parameter and value.
absl::StatusOr<LogOptions> ParseLogOptions(const std::multimap<std::string, std::string>& query,
                                           absl::Time now = absl::Now());

// "<pod_logs_dir>/<namespace>_<name>_<uid>/<container>".
std::string ContainerLogDir(const std::string& pod_logs_dir, const api::Pod& pod,
                            const std::string& container);

// The N of every "<N>.log" in `dir`, largest first (empty if `dir` is
// missing). Rotated files ("0.log.20240102-030405") are not logs here.
std::vector<int64_t> ListLogNumbers(const std::string& dir);

class LogFileReader {
 public:
  // Opens `path` and positions at the start of the last tail_lines logical
  // lines (or at 0). Without `follow`, reading stops at the size the file has
  // now. NotFound when the file does not exist.
  static absl::StatusOr<std::unique_ptr<LogFileReader>> Open(const std::string& path,
                                                             const LogOptions& options);
  ~LogFileReader();
  LogFileReader(const LogFileReader&) = delete;
  LogFileReader& operator=(const LogFileReader&) = delete;

  // Reads up to `max_bytes` more of the file and appends the output of the
  // complete records to `out`. Returns how many file bytes it read: 0 when
  // there is nothing new (end of file, or of the range without follow).
  absl::StatusOr<size_t> Read(std::string* out, size_t max_bytes = 64 * 1024);

  // For following across log rotation: when the path now names another file,
  // or the file was truncated below what was read, continues from the start
  // of the new content and returns true. Call when Read() returned 0, so the
  // old file is drained.
  bool ReopenIfReplaced();

  // limitBytes reached: nothing more will be produced.
  bool limit_reached() const { return writer_.limit_reached(); }

 private:
  LogFileReader(std::string path, int fd, int64_t offset, std::optional<int64_t> stop_at,
                CriLogWriter::Options writer_options);

  const std::string path_;
  int fd_;
  int64_t offset_;                  // next file byte to read
  std::optional<int64_t> stop_at_;  // without follow: the size at Open()
  std::string pending_;             // read bytes not yet ending in '\n'
  CriLogWriter writer_;
};

}  // namespace cubelet::logs

#endif  // CUBELET_LOGS_CONTAINER_LOGS_H_
