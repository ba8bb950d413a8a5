// Helpers shared by the config tests: a scratch directory, file writing, and a
// thread-safe recorder of callback output with bounded waits.
#ifndef CUBELET_CONFIG_TEST_UTIL_H_
#define CUBELET_CONFIG_TEST_UTIL_H_

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "config/pod_update.h"
#include "gtest/gtest.h"
#include "util/testing/temp_dir.h"

namespace cubelet::config::testing {

// A scratch directory named cubelet-config-XXXXXX.
class TempDir : public test_support::ScopedTempDir {
 public:
  TempDir() : ScopedTempDir("cubelet-config") {}
};

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

inline std::string PodYaml(const std::string& name, const std::string& image = "busybox:1.36") {
  return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name +
         "\nspec:\n  containers:\n  - name: c\n    image: " + image + "\n";
}

// Records updates and errors from any thread; Wait* block (bounded) until a
// condition on what was recorded holds.
class Recorder {
 public:
  void OnUpdate(const PodUpdate& u) {
    std::lock_guard<std::mutex> lock(mu_);
    updates_.push_back(u);
    cv_.notify_all();
  }
  void OnError(const std::string& e) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.push_back(e);
    cv_.notify_all();
  }
  std::function<void(const PodUpdate&)> UpdateFn() {
    return [this](const PodUpdate& u) { OnUpdate(u); };
  }
  std::function<void(const std::string&)> ErrorFn() {
    return [this](const std::string& e) { OnError(e); };
  }

  // Waits until some update satisfies `pred`; returns it (or fails).
  bool WaitForUpdate(const std::function<bool(const PodUpdate&)>& pred, PodUpdate* out = nullptr,
                     std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    size_t checked = 0;
    return cv_.wait_for(lock, timeout, [&] {
      for (; checked < updates_.size(); ++checked) {
        if (pred(updates_[checked])) {
          if (out != nullptr) *out = updates_[checked];
          ++checked;
          return true;
        }
      }
      return false;
    });
  }
  bool WaitForError(const std::function<bool(const std::string&)>& pred,
                    std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const std::string& e : errors_) {
        if (pred(e)) return true;
      }
      return false;
    });
  }
  std::vector<PodUpdate> updates() const {
    std::lock_guard<std::mutex> lock(mu_);
    return updates_;
  }
  std::vector<std::string> errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    updates_.clear();
    errors_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PodUpdate> updates_;
  std::vector<std::string> errors_;
};

inline std::vector<std::string> Names(const std::vector<api::PodPtr>& pods) {
  std::vector<std::string> out;
  for (const auto& p : pods) out.push_back(p->metadata.name);
  return out;
}

}  // namespace cubelet::config::testing

#endif  // CUBELET_CONFIG_TEST_UTIL_H_
