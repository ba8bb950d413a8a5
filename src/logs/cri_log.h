// The CRI container log format (what containerd and CRI-O write under
// /var/log/pods; upstream pkg/kubelet/kuberuntime/logs): one record per line,
//   <RFC3339Nano time> <stdout|stderr> <P|F>[:<more tags>] <content>\n
// where P (partial) means the content continues in the next record without a
// newline and F (full) ends a line. A "logical line" is zero or more P records
// followed by one F record (or by the end of the file, for a line still being
// written).
//
// This file holds the pure pieces: parsing a record, the kubelet's timestamp
// output form, finding where the last N logical lines start (reading backwards
// from the end, so a large file costs only the tail), and turning records into
// the log text the API serves. Stateless functions are safe from any thread;
// a CriLogWriter is used by one thread at a time.
#ifndef CUBELET_LOGS_CRI_LOG_H_
#define CUBELET_LOGS_CRI_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cubelet::logs {

struct CriLogRecord {
  std::string_view timestamp;  // as written, validated as RFC 3339
  std::string_view stream;     // "stdout" or "stderr"
  bool partial = false;        // P: the content continues in the next record
  std::string_view content;    // without the record's newline
};

// Parses one record line, without its '\n' (a trailing '\r' is part of the
// content). InvalidArgument when it is not in the format above. The views
// point into `line`.
absl::StatusOr<CriLogRecord> ParseCriLogLine(std::string_view line);

// The kubelet's timestamp output form (Go layout
// "2006-01-02T15:04:05.000000000Z07:00"): exactly nine fractional digits, the
// zone as written. "2024-01-02T03:04:05.5Z" -> "2024-01-02T03:04:05.500000000Z".
std::string FormatLogTimestamp(std::string_view timestamp);

// Where the last `n` logical lines of the file start, looking only at complete
// records (bytes after the last '\n' are a record still being written and are
// not part of the answer). n == 0 gives the end of the complete records; 0 when
// the file has no more than n lines. Malformed records do not end a line.
// Reads backwards from `size` with pread(); `fd` is not moved.
absl::StatusOr<int64_t> FindTailStart(int fd, int64_t size, int64_t n);

// Turns records into the log text: the content, a newline after each F record,
// with `timestamps` the first record's FormatLogTimestamp() and a space before
// each logical line, and at most `limit_bytes` bytes in total (the last piece
// cut short). Malformed records are skipped. The writer must start at a line
// boundary (offset 0, or a FindTailStart() result).
class CriLogWriter {
 public:
  struct Options {
    bool timestamps = false;
    std::optional<int64_t> limit_bytes;
    // Records older than this are left out (sinceSeconds/sinceTime).
    std::optional<absl::Time> since;
  };

  explicit CriLogWriter(Options options) : options_(options) {}

  // Appends the output for one record line (without its '\n') to `out`.
  // Returns false when the record was malformed (nothing is written).
  bool AppendLine(std::string_view line, std::string* out);

  // True once limit_bytes have been written: nothing more will be.
  bool limit_reached() const {
    return options_.limit_bytes.has_value() && written_ >= *options_.limit_bytes;
  }
  int64_t bytes_written() const { return written_; }

 private:
  void Emit(std::string_view text, std::string* out);

  const Options options_;
  bool at_line_start_ = true;
  int64_t written_ = 0;
};

}  // namespace cubelet::logs

#endif  // CUBELET_LOGS_CRI_LOG_H_
