#include "logs/cri_log.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace cubelet::logs {
namespace {

constexpr int64_t kBlockSize = 64 * 1024;
// How much of a record FindTailStart looks at to read its tag: a timestamp
// with a long zone, the stream and the tags fit easily.
constexpr size_t kHeaderLookahead = 512;

}  // namespace

absl::StatusOr<CriLogRecord> ParseCriLogLine(std::string_view line) {
  CriLogRecord r;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return absl::InvalidArgumentError("timestamp is not found");
  r.timestamp = line.substr(0, sp);
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(r.timestamp), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected timestamp format \"", std::string(r.timestamp), "\": ", err));
  }
  line.remove_prefix(sp + 1);

  sp = line.find(' ');
  if (sp == std::string_view::npos) return absl::InvalidArgumentError("stream type is not found");
  r.stream = line.substr(0, sp);
  if (r.stream != "stdout" && r.stream != "stderr") {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected stream type \"", std::string(r.stream), "\""));
  }
  line.remove_prefix(sp + 1);

  sp = line.find(' ');
  if (sp == std::string_view::npos) return absl::InvalidArgumentError("log tag is not found");
  std::string_view tag = line.substr(0, std::min(sp, line.find(':')));
  if (tag == "P") {
    r.partial = true;
  } else if (tag != "F") {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected log tag \"", std::string(tag), "\""));
  }
  r.content = line.substr(sp + 1);
  return r;
}

std::string FormatLogTimestamp(std::string_view ts) {
  // "YYYY-MM-DDTHH:MM:SS" is 19 characters; fraction and zone follow.
  constexpr size_t kSeconds = 19;
  if (ts.size() < kSeconds) return std::string(ts);
  std::string out(ts.substr(0, kSeconds));
  std::string_view rest = ts.substr(kSeconds);
  std::string_view fraction;
  if (!rest.empty() && rest[0] == '.') {
    size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    fraction = rest.substr(1, n - 1);
    rest.remove_prefix(n);
  }
  out.push_back('.');
  out.append(fraction.substr(0, 9));
  out.append(9 - std::min<size_t>(fraction.size(), 9), '0');
  out.append(rest);
  return out;
}

absl::StatusOr<int64_t> FindTailStart(int fd, int64_t size, int64_t n) {
  // Boundaries between logical lines are the ends of F records. b0 is the end
  // of the complete records (after the last '\n'); the last n lines start at
  // the n-th boundary before it.
  if (n < 0) return 0;
  int64_t end = -1;         // b0, once the last '\n' is found
  int64_t record_end = -1;  // end of the record whose start is being looked for
  int64_t boundaries = 0;
  std::string window;  // [pos, pos + window.size()): block plus lookahead
  std::vector<char> block(static_cast<size_t>(std::min(kBlockSize, std::max<int64_t>(size, 1))));

  // Looks at the record [start, record_end) whose first bytes are `head`.
  // Returns true when it is the boundary that answers the question.
  auto visit = [&](int64_t start, std::string_view head) {
    head = head.substr(0, static_cast<size_t>(record_end - start));
    if (!head.empty() && head.back() == '\n') head.remove_suffix(1);
    absl::StatusOr<CriLogRecord> r = ParseCriLogLine(head);
    if (r.ok() && !r->partial && record_end != end) ++boundaries;
    return boundaries == n && record_end != end;
  };

  int64_t pos = size;
  while (pos > 0) {
    const int64_t len = std::min<int64_t>(kBlockSize, pos);
    pos -= len;
    int64_t got = 0;
    while (got < len) {
      ssize_t r = ::pread(fd, block.data() + got, static_cast<size_t>(len - got), pos + got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return absl::InternalError(absl::StrCat("read log file: ", std::strerror(errno)));
      if (r == 0) return absl::InternalError("read log file: file shrank while reading");
      got += r;
    }
    // Keep only a lookahead of the later bytes: enough to parse the tag of a
    // record that starts at the end of this block.
    window.resize(std::min(window.size(), kHeaderLookahead));
    window.insert(0, block.data(), static_cast<size_t>(len));
    for (int64_t i = len - 1; i >= 0; --i) {
      if (window[static_cast<size_t>(i)] != '\n') continue;
      const int64_t next = pos + i + 1;  // a record starts here
      if (end < 0) {
        end = next;
        record_end = next;
        if (n == 0) return end;
        continue;
      }
      if (next < record_end) {
        if (visit(next, std::string_view(window).substr(static_cast<size_t>(i + 1)))) {
          return record_end;
        }
        record_end = next;
      }
    }
  }
  if (end < 0) return 0;  // no complete record
  // The first record has no '\n' before it.
  if (record_end > 0 && visit(0, window)) return record_end;
  return 0;  // no more than n lines: all of them
}

bool CriLogWriter::AppendLine(std::string_view line, std::string* out) {
  absl::StatusOr<CriLogRecord> r = ParseCriLogLine(line);
  if (!r.ok()) return false;
  if (limit_reached()) return true;
  if (options_.since.has_value()) {
    absl::Time t;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, std::string(r->timestamp), &t, &err) &&
        t < *options_.since) {
      return true;
    }
  }
  if (options_.timestamps && at_line_start_) {
    Emit(FormatLogTimestamp(r->timestamp), out);
    Emit(" ", out);
  }
  Emit(r->content, out);
  if (!r->partial) Emit("\n", out);
  at_line_start_ = !r->partial;
  return true;
}

void CriLogWriter::Emit(std::string_view text, std::string* out) {
  if (options_.limit_bytes.has_value()) {
    const int64_t room = std::max<int64_t>(*options_.limit_bytes - written_, 0);
    if (static_cast<int64_t>(text.size()) > room) text = text.substr(0, static_cast<size_t>(room));
  }
  out->append(text);
  written_ += static_cast<int64_t>(text.size());
}

}  // namespace cubelet::logs
