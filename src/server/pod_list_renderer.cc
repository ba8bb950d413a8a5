#include "server/pod_list_renderer.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "api/json.h"

namespace cubelet::server {

std::string PodListRenderer::Render(std::vector<api::Pod> pods) {
  std::lock_guard<std::mutex> lock(mu_);
  last_rendered_ = 0;
  std::string out = api::PodListJson({});
  out.resize(out.size() - 2);  // reopen the items array: `...,"items":[`
  out.reserve(last_size_ + last_size_ / 8);
  absl::flat_hash_set<std::string> present;
  present.reserve(pods.size());
  for (size_t i = 0; i < pods.size(); ++i) {
    if (i > 0) out += ",";
    api::Pod& pod = pods[i];
    const std::string& uid = pod.metadata.uid;
    // A pod without a uid, or a second one with the same uid (neither comes
    // from the agent), is rendered every time.
    if (uid.empty() || !present.insert(uid).second) {
      out += api::PodJson(pod);
      ++last_rendered_;
      continue;
    }
    Entry& entry = cache_[uid];
    if (entry.json.empty() || !(entry.pod == pod)) {
      entry.json = api::PodJson(pod);
      entry.pod = std::move(pod);
      ++last_rendered_;
    }
    out += entry.json;
  }
  out += "]}";
  last_size_ = out.size();
  absl::erase_if(cache_, [&](const auto& kv) { return !present.contains(kv.first); });
  return out;
}

size_t PodListRenderer::last_rendered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_rendered_;
}

}  // namespace cubelet::server
