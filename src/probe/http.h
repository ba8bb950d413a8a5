// HTTP GET checks (the kubelet's pkg/probe/http): used by httpGet probes and
// httpGet lifecycle hooks. A status code in [200, 400) succeeds; redirects are
// not followed (a 3xx is already a success, as upstream's final verdict for a
// redirect to another host). Only the first 10 KiB of a body is kept.
//
// Thread-safety: stateless; call from any thread. Blocks for at most about
// `timeout` (connect, then the whole exchange).
#ifndef CUBELET_PROBE_HTTP_H_
#define CUBELET_PROBE_HTTP_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "probe/probe.h"

namespace cubelet::probe {

struct HttpTarget {
  std::string scheme = "HTTP";  // "HTTP" or "HTTPS" (certificate not verified, as the kubelet)
  std::string host;
  int port = 0;
  std::string path = "/";
  // Sent as given; a "Host" header overrides the target host in the request.
  std::vector<std::pair<std::string, std::string>> headers;
};

// The User-Agent of probe requests, as the kubelet's "kube-probe/<major>.<minor>".
inline constexpr char kProbeUserAgent[] = "kube-probe/1.31";

Outcome HttpGet(const HttpTarget& target, absl::Duration timeout);

}  // namespace cubelet::probe

#endif  // CUBELET_PROBE_HTTP_H_
