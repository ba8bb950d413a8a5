// The HTTP servers' request handling up to the handlers: the front's header
// scan (server/front.h), the path and query decoding, the route match and the
// log endpoint's query options; the kubelet server's request head parser,
// query decoding and authorization attributes (server/secure_server.h).
#include <cstddef>
#include <cstdint>
#include <map>
#include <regex>
#include <string>
#include <string_view>

#include "httplib.h"
#include "logs/container_logs.h"
#include "server/auth.h"
#include "server/front.h"
#include "server/secure_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)cubelet::server::RequestContentLength(input);
  absl::StatusOr<cubelet::server::RequestHead> head =
      cubelet::server::ParseRequestHead(absl::string_view(input.data(), input.size()));
  if (head.ok()) {
    (void)cubelet::server::QueryValues(head->query, "command");
    (void)cubelet::server::RequestAttributesFor({.name = "u"}, head->method, head->path, "n");
    (void)head->Header("Authorization");
  }
  size_t line_end = input.find('\n');
  std::string_view target = input.substr(0, line_end);
  size_t q = target.find('?');
  std::string path = httplib::detail::decode_url(std::string(target.substr(0, q)), false);
  std::multimap<std::string, std::string> params;
  if (q != std::string_view::npos) {
    httplib::detail::parse_query_text(std::string(target.substr(q + 1)), params);
  }
  (void)cubelet::logs::ParseLogOptions(params);
  static const std::regex kLogs(R"(/containerLogs/([^/]+)/([^/]+)/([^/]+))");
  std::smatch m;
  if (path.size() < 4096) (void)std::regex_match(path, m, kLogs);
  return 0;
}
