// Mutex and MutexLock: std::mutex with clang's thread-safety annotations, so
// members can say ABSL_GUARDED_BY(mu_) and methods
// ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_), and the `tsa` build (clang
// -Wthread-safety) checks every access. A wrapper rather than absl::Mutex:
// Debian's Abseil is not built for ThreadSanitizer, which would then miss the
// happens-before edges of an absl::Mutex and report false races; std::mutex
// goes through the pthread calls TSan intercepts.
//
// Thread-safety: as std::mutex.
#ifndef CUBELET_UTIL_MUTEX_H_
#define CUBELET_UTIL_MUTEX_H_

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace cubelet {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // For tests and debug checks only: the analysis cannot see through it.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  std::mutex mu_;
};

// Holds `mu` for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace cubelet

#endif  // CUBELET_UTIL_MUTEX_H_
