#include "util/log.h"

#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace cubelet::log {
namespace {

std::atomic<int> g_verbosity{0};
std::mutex g_sink_mu;
std::function<void(std::string_view)>* g_sink = nullptr;  // guarded by g_sink_mu

char SeverityLetter(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return 'I';
    case Severity::kWarning:
      return 'W';
    case Severity::kError:
      return 'E';
  }
  return 'I';
}

const char* Basename(const char* path) {
  const char* base = path;
  for (const char* p = path; *p; ++p) {
    if (*p == '/') base = p + 1;
  }
  return base;
}

}  // namespace

void SetVerbosity(int v) { g_verbosity.store(v, std::memory_order_relaxed); }
int Verbosity() { return g_verbosity.load(std::memory_order_relaxed); }

void SetSink(std::function<void(std::string_view)> sink) {
  std::lock_guard<std::mutex> lock(g_sink_mu);
  delete g_sink;
  g_sink = sink ? new std::function<void(std::string_view)>(std::move(sink)) : nullptr;
}

void Write(Severity severity, const char* file, int line, std::string_view message) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm local;
  localtime_r(&tv.tv_sec, &local);
  char prefix[96];
  int n = std::snprintf(prefix, sizeof(prefix), "%c%02d%02d %02d:%02d:%02d.%06ld %7ld %s:%d] ",
                        SeverityLetter(severity), local.tm_mon + 1, local.tm_mday, local.tm_hour,
                        local.tm_min, local.tm_sec, static_cast<long>(tv.tv_usec),
                        static_cast<long>(syscall(SYS_gettid)), Basename(file), line);
  std::string text(prefix, n > 0 ? static_cast<size_t>(n) : 0);
  text.append(message);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::lock_guard<std::mutex> lock(g_sink_mu);
  if (g_sink != nullptr) {
    (*g_sink)(text);
    return;
  }
  text.push_back('\n');
  std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace cubelet::log
