// Manifest parse + validate + static pod defaults (what the file source does
// with every file), on arbitrary bytes. Must never crash, hang or blow up.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/parse.h"
#include "api/validation.h"
#include "config/static_pod.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view content(reinterpret_cast<const char*>(data), size);
  cubelet::api::ParsedManifest parsed = cubelet::api::ParseManifest(content, "fuzz.yaml");
  for (const cubelet::api::ManifestError& e : parsed.errors) (void)e.ToString();
  std::map<std::string, std::string> owners;
  std::vector<cubelet::api::PodPtr> pods;
  std::vector<std::string> errors;
  cubelet::config::AcceptStaticPods(std::move(parsed.pods), "node1", "/etc/manifests/fuzz.yaml",
                                    cubelet::config::kFileSource, owners, pods, errors);
  return 0;
}
