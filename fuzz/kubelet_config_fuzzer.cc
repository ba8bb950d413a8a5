// The --config file (a KubeletConfiguration, YAML or JSON).
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string content(reinterpret_cast<const char*>(data), size);
  cubelet::app::AgentOptions options;
  (void)cubelet::app::ApplyConfigFile(content, "fuzz-config.yaml", options);
  return 0;
}
