// Defaults the kubelet gives pods read from its own sources (manifest files and
// the manifest URL) rather than from an API server: upstream
// pkg/kubelet/config/common.go applyDefaults.
//
// The UID is derived from the pod's content, the node and where it came from,
// so re-reading an unchanged manifest (even after an agent restart) yields the
// same UID and any edit yields a new one (the old pod is then replaced).
//
// Stateless functions; safe from any thread.
#ifndef CUBELET_CONFIG_STATIC_POD_H_
#define CUBELET_CONFIG_STATIC_POD_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/pod.h"
#include "config/pod_update.h"

namespace cubelet::config {

// 128-bit FNV-1a, the hash upstream's newest kubelet uses for static pod UIDs.
// Streaming: Write() may be called any number of times.
class Fnv128a {
 public:
  void Write(std::string_view bytes);
  // Big-endian digest, as Go's hash.Hash.Sum.
  std::array<uint8_t, 16> Sum() const;

 private:
  unsigned __int128 state_ =
      (static_cast<unsigned __int128>(0x6c62272e07bb0142ULL) << 64) | 0x62b821756295c58dULL;
};

// The 16 bytes as lowercase hex in the 8-4-4-4-12 UUID layout.
std::string FormatUid(const std::array<uint8_t, 16>& digest);

// The UID a pod gets from `source` (kFileSource or kHttpSource) at `source_path` (the
// manifest path or the URL) on `node_name`: the hash of the pod's wire JSON,
// then "host:<node>" and "file:<path>" for files, or "url:<url>" for http (as
// upstream; a URL names the same pod for every node that polls it).
std::string StaticPodUid(const api::Pod& pod, const std::string& node_name,
                         const std::string& source_path, const std::string& source);

// Fills in what a source-read pod needs before it reaches PodConfig: the UID
// (only when the manifest gives none), name "<name>-<lowercase node>",
// namespace "default" when empty, spec.nodeName, the config.hash (= UID) and
// config.source annotations, and status phase Pending.
void ApplyStaticPodDefaults(api::Pod& pod, const std::string& node_name,
                            const std::string& source_path, const std::string& source);

// Turns the pods parsed from one manifest (file or URL body) into the pods a
// source reports: applies the defaults above, validates the result again (the
// node suffix can make a valid name invalid or too long) and drops pods whose
// full name `owners` (full name -> where it was first defined) already holds.
// Good pods are appended to `pods`, one message per dropped pod to `errors`.
void AcceptStaticPods(std::vector<api::Pod> parsed, const std::string& node_name,
                      const std::string& source_path, const std::string& source,
                      std::map<std::string, std::string>& owners, std::vector<api::PodPtr>& pods,
                      std::vector<std::string>& errors);

}  // namespace cubelet::config

#endif  // CUBELET_CONFIG_STATIC_POD_H_
