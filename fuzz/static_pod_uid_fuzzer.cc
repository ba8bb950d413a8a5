// The static pod UID hash (a JSON dump of the pod) over decoded pods, with
// node name and path taken from the input too: no exception may escape.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/parse.h"
#include "config/static_pod.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // "<node>\n<path>\n<manifest>"
  size_t a = input.find('\n');
  size_t b = a == std::string_view::npos ? a : input.find('\n', a + 1);
  std::string node = a == std::string_view::npos ? "node1" : std::string(input.substr(0, a));
  std::string path =
      b == std::string_view::npos ? "/m.yaml" : std::string(input.substr(a + 1, b - a - 1));
  std::string_view manifest = b == std::string_view::npos ? input : input.substr(b + 1);
  cubelet::api::ParsedManifest parsed = cubelet::api::ParseManifest(manifest, path);
  for (cubelet::api::Pod& pod : parsed.pods) {
    std::string uid = cubelet::config::StaticPodUid(pod, node, path, cubelet::config::kFileSource);
    if (uid.size() != 36) __builtin_trap();
    (void)cubelet::config::StaticPodUid(pod, node, path, cubelet::config::kHttpSource);
    cubelet::config::ApplyStaticPodDefaults(pod, node, path, cubelet::config::kFileSource);
  }
  return 0;
}
