// PodListRenderer: renders /pods (api::PodListJson's output) and keeps each
// pod's JSON with the pod it was made from, so a pod that has not changed
// since the last request is not serialized again. At 1000 pods a full render
// cost the agent ~55 ms of CPU per request (1.7 MB of JSON through
// nlohmann::json), which a client polling /pods turned into a good part of a
// core; comparing a pod with its cached copy is a fraction of that.
//
// Memory: one copy of every pod and its JSON, dropped when the pod goes.
// Thread-safety: Render may be called concurrently (one render at a time).
#ifndef CUBELET_SERVER_POD_LIST_RENDERER_H_
#define CUBELET_SERVER_POD_LIST_RENDERER_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "api/pod.h"

namespace cubelet::server {

class PodListRenderer {
 public:
  // The same bytes as api::PodListJson(pods).
  std::string Render(std::vector<api::Pod> pods);

  // Pods serialized by the last Render (for tests).
  size_t last_rendered() const;

 private:
  struct Entry {
    api::Pod pod;
    std::string json;
  };
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_;  // by uid
  size_t last_rendered_ = 0;
  size_t last_size_ = 0;  // of the last response, to size the next
};

}  // namespace cubelet::server

#endif  // CUBELET_SERVER_POD_LIST_RENDERER_H_
