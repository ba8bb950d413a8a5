#include "container/runtime.h"

namespace cubelet::container {

absl::Status PodSyncResult::Error() const {
  for (const SyncResult& r : results) {
    if (!r.error.ok()) return r.error;
  }
  return sync_error;
}

bool PodSyncResult::OnlyBackOffErrors() const {
  if (!sync_error.ok()) return false;
  for (const SyncResult& r : results) {
    if (r.error.ok()) continue;
    if (r.reason != kCrashLoopBackOff && r.reason != kImagePullBackOff) return false;
  }
  return true;
}

}  // namespace cubelet::container
