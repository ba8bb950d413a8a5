// ReasonCache: why the last start of each container failed (the kubelet's
// ReasonCache). SyncPod's results feed it; status generation reads it to put
// "CrashLoopBackOff", "ErrImagePull", ... with their messages into a waiting
// container's state, since the runtime itself has no record of a start that
// never produced a container.
//
// Bounded LRU (the kubelet keeps 1000 entries); the pod workers call
// RemovePod when they forget a pod.
// Thread-safety: every method may be called from any thread (one std::mutex).
#ifndef CUBELET_STATUS_REASON_CACHE_H_
#define CUBELET_STATUS_REASON_CACHE_H_

#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "container/runtime.h"

namespace cubelet::status {

struct ReasonInfo {
  std::string reason;   // e.g. container::kCrashLoopBackOff
  std::string message;  // e.g. "back-off 10s restarting failed container=..."

  bool operator==(const ReasonInfo&) const = default;
};

class ReasonCache {
 public:
  static constexpr size_t kDefaultCapacity = 1000;

  explicit ReasonCache(size_t capacity = kDefaultCapacity);

  ReasonCache(const ReasonCache&) = delete;
  ReasonCache& operator=(const ReasonCache&) = delete;

  // For each container start in `result`: a failure records its reason and
  // message, a success clears the entry. Other steps are ignored.
  void Update(const std::string& pod_uid, const container::PodSyncResult& result);

  void Add(const std::string& pod_uid, const std::string& container_name, ReasonInfo info);
  void Remove(const std::string& pod_uid, const std::string& container_name);
  void RemovePod(const std::string& pod_uid);
  std::optional<ReasonInfo> Get(const std::string& pod_uid,
                                const std::string& container_name) const;
  size_t Size() const;

 private:
  using Key = std::pair<std::string, std::string>;  // (pod uid, container name)
  struct Entry {
    ReasonInfo info;
    std::list<Key>::iterator lru;  // position in lru_
  };

  void RemoveLocked(const Key& key);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;  // guarded by mu_
  std::list<Key> lru_;            // guarded by mu_; most recently set first
};

}  // namespace cubelet::status

#endif  // CUBELET_STATUS_REASON_CACHE_H_
