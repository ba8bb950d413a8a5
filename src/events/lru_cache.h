// LruCache: a string-keyed map that forgets its least recently used entry
// beyond `capacity` (groupcache's lru.Cache, which client-go's event
// correlator keeps its state in), so a kubelet reporting about ever new pods
// holds bounded memory. Get and Put both count as a use.
//
// Ownership: owns its values. Thread-safety: none (thread-compatible); the
// EventCorrelator's owner serializes access.
#ifndef CUBELET_EVENTS_LRU_CACHE_H_
#define CUBELET_EVENTS_LRU_CACHE_H_

#include <algorithm>
#include <cstddef>
#include <list>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace cubelet::events {

template <typename V>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  // The value under `key` (now the most recently used), or null.
  V* Get(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }

  // Stores `value` under `key` as the most recently used, evicting the least
  // recently used entry when over capacity.
  V& Put(const std::string& key, V value) {
    if (V* existing = Get(key)) {
      *existing = std::move(value);
      return *existing;
    }
    order_.emplace_front(key, std::move(value));
    index_[key] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    return order_.front().second;
  }

  size_t size() const { return order_.size(); }

 private:
  using Entry = std::pair<std::string, V>;
  const size_t capacity_;
  std::list<Entry> order_;  // most recently used first
  absl::flat_hash_map<std::string, typename std::list<Entry>::iterator> index_;
};

}  // namespace cubelet::events

#endif  // CUBELET_EVENTS_LRU_CACHE_H_
