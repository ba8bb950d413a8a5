// FakeRecorder: an EventRecorder that keeps what it is told, for tests of
// the components that report events (client-go's record.FakeRecorder).
// Each event is kept as the string "<type> <reason> <message>", which is what
// upstream tests compare, and whole (Recorded) for tests that look at the
// object. Nothing is ever dropped or correlated. Test-only.
//
// Thread-safety: every method may be called from any thread.
#ifndef CUBELET_EVENTS_TESTING_FAKE_RECORDER_H_
#define CUBELET_EVENTS_TESTING_FAKE_RECORDER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "events/recorder.h"
#include "util/mutex.h"

namespace cubelet::events::testing {

class FakeRecorder final : public EventRecorder {
 public:
  struct Recorded {
    ObjectReference object;
    std::string type;
    std::string reason;
    std::string message;
  };

  void Event(const ObjectReference& object, std::string_view type, std::string_view reason,
             std::string_view message) override {
    MutexLock lock(&mu_);
    recorded_.push_back(Recorded{.object = object,
                                 .type = std::string(type),
                                 .reason = std::string(reason),
                                 .message = std::string(message)});
  }

  // Every event so far, oldest first, as "<type> <reason> <message>".
  std::vector<std::string> Events() const {
    MutexLock lock(&mu_);
    std::vector<std::string> out;
    out.reserve(recorded_.size());
    for (const Recorded& r : recorded_) out.push_back(Format(r));
    return out;
  }

  // Every event so far, oldest first, with its object.
  std::vector<Recorded> RecordedEvents() const {
    MutexLock lock(&mu_);
    return recorded_;
  }

  // Whether an event with `reason` was recorded.
  bool Contains(std::string_view reason) const {
    MutexLock lock(&mu_);
    for (const Recorded& r : recorded_) {
      if (r.reason == reason) return true;
    }
    return false;
  }

  size_t size() const {
    MutexLock lock(&mu_);
    return recorded_.size();
  }

  void Clear() {
    MutexLock lock(&mu_);
    recorded_.clear();
  }

 private:
  static std::string Format(const Recorded& r) {
    return absl::StrCat(r.type, " ", r.reason, " ", r.message);
  }

  mutable Mutex mu_;
  std::vector<Recorded> recorded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cubelet::events::testing

#endif  // CUBELET_EVENTS_TESTING_FAKE_RECORDER_H_
