// The CRI log format (one record per line), as the log endpoint reads it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "logs/cri_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  while (pos <= input.size()) {
    size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    auto record = cubelet::logs::ParseCriLogLine(input.substr(pos, end - pos));
    if (record.ok()) (void)cubelet::logs::FormatLogTimestamp(record->timestamp);
    pos = end + 1;
  }
  // The tail search over the same bytes as a file.
  FILE* f = ::tmpfile();
  if (f == nullptr) return 0;
  if (size > 0) (void)::fwrite(data, 1, size, f);
  ::fflush(f);
  for (int64_t n : {0, 1, 3, 1000}) {
    (void)cubelet::logs::FindTailStart(::fileno(f), static_cast<int64_t>(size), n);
  }
  ::fclose(f);
  return 0;
}
