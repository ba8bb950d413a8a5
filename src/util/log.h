// klog-style logging for the agent: one line per message,
//   I1126 19:05:54.123456    1234 file.cc:12] message
// (severity letter, month and day, wall time, thread id, source file:line).
// LOG(INFO|WARNING|ERROR) always prints; VLOG(n) prints when the verbosity set
// with SetVerbosity() (the -v flag) is at least n. Lines go to stderr unless a
// sink is installed (tests capture lines that way).
//
// Thread-safety: every function may be called from any thread; each line is
// written whole. SetSink() is meant for start-up and tests.
#ifndef CUBELET_UTIL_LOG_H_
#define CUBELET_UTIL_LOG_H_

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

namespace cubelet::log {

enum class Severity { kInfo, kWarning, kError };

void SetVerbosity(int v);
int Verbosity();
inline bool VEnabled(int v) { return Verbosity() >= v; }

// Replaces where lines go (null: back to stderr). The sink receives the whole
// formatted line without its trailing newline.
void SetSink(std::function<void(std::string_view line)> sink);

// Formats and writes one line (used by the macros and by callbacks that
// already hold a message, e.g. a component's `log` option).
void Write(Severity severity, const char* file, int line, std::string_view message);

class LogMessage {
 public:
  LogMessage(const char* file, int line, Severity severity)
      : file_(file), line_(line), severity_(severity) {}
  ~LogMessage() { Write(severity_, file_, line_, stream_.str()); }
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  const char* file_;
  int line_;
  Severity severity_;
  std::ostringstream stream_;
};

}  // namespace cubelet::log

#define CUBELET_LOG_INFO ::cubelet::log::Severity::kInfo
#define CUBELET_LOG_WARNING ::cubelet::log::Severity::kWarning
#define CUBELET_LOG_ERROR ::cubelet::log::Severity::kError
#define LOG(severity) \
  ::cubelet::log::LogMessage(__FILE__, __LINE__, CUBELET_LOG_##severity).stream()
#define VLOG(level)                       \
  if (!::cubelet::log::VEnabled(level)) { \
  } else                                  \
    LOG(INFO)

#endif  // CUBELET_UTIL_LOG_H_
