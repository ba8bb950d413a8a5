// Test helpers for code that reads CRI log files (logs/ and server/ tests): a
// scratch directory and CRI log record lines. Test-only.
#ifndef CUBELET_LOGS_TESTING_LOG_FILES_H_
#define CUBELET_LOGS_TESTING_LOG_FILES_H_

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::logs::testing {

// A scratch directory named cubelet-logs-XXXXXX.
class TempDir : public test_support::ScopedTempDir {
 public:
  TempDir() : ScopedTempDir("cubelet-logs") {}
};

// Writes (or appends) `content` to `path`, creating parent directories.
inline void WriteFile(const std::string& path, const std::string& content, bool append = false) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << content;
  out.flush();
  ASSERT_TRUE(out.good()) << path;
}

// One CRI log record line: "<ts> <stream> <tag> <content>\n". The timestamp
// is second `second` of a fixed minute.
inline std::string Rec(const std::string& content, const std::string& tag = "F", int second = 5,
                       const std::string& stream = "stdout") {
  char ts[64];
  std::snprintf(ts, sizeof(ts), "2024-01-02T03:04:%02d.123456789Z", second);
  return std::string(ts) + " " + stream + " " + tag + " " + content + "\n";
}

}  // namespace cubelet::logs::testing

#endif  // CUBELET_LOGS_TESTING_LOG_FILES_H_
