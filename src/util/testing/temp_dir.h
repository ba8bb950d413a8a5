// ScopedTempDir: a fresh directory under the system temp dir for one test,
// removed with everything in it when the object goes away. Test-only.
//
// Not thread-safe to construct or destroy concurrently with use; path() may
// be read from any thread.
#ifndef CUBELET_UTIL_TESTING_TEMP_DIR_H_
#define CUBELET_UTIL_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace cubelet::test_support {

class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& prefix = "cubelet-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace cubelet::test_support

#endif  // CUBELET_UTIL_TESTING_TEMP_DIR_H_
