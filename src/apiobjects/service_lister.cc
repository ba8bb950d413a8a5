#include "apiobjects/service_lister.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace cubelet::apiobjects {
namespace {

using nlohmann::json;

bool IpSet(const Service& s) { return !s.cluster_ip.empty() && s.cluster_ip != "None"; }

std::string VarName(const std::string& s) {
  return absl::AsciiStrToUpper(absl::StrReplaceAll(s, {{"-", "_"}}));
}

std::string HostPort(const std::string& ip, int32_t port) {
  if (ip.find(':') != std::string::npos) return absl::StrCat("[", ip, "]:", port);
  return absl::StrCat(ip, ":", port);
}

}  // namespace

Service DecodeService(const json& object) {
  Service s;
  const json& meta = object.value("metadata", json::object());
  s.namespace_ = meta.value("namespace", "");
  s.name = meta.value("name", "");
  const json& spec = object.value("spec", json::object());
  if (spec.contains("clusterIP") && spec["clusterIP"].is_string()) {
    s.cluster_ip = spec["clusterIP"].get<std::string>();
  }
  for (const json& p : spec.value("ports", json::array())) {
    if (!p.is_object()) continue;
    s.ports.push_back(ServicePort{.name = p.value("name", ""),
                                  .port = p.value("port", 0),
                                  .protocol = p.value("protocol", "")});
  }
  return s;
}

std::map<std::string, std::string> ServiceEnvVars(const std::vector<Service>& services,
                                                  const std::string& namespace_,
                                                  bool enable_service_links) {
  // getServiceEnvVarMap: one Service per name; the master service wins.
  std::map<std::string, const Service*> chosen;
  for (const Service& s : services) {
    if (!IpSet(s)) continue;
    if (s.namespace_ == "default" && s.name == "kubernetes") {
      chosen.emplace(s.name, &s);
    } else if (s.namespace_ == namespace_ && enable_service_links) {
      chosen[s.name] = &s;
    }
  }
  std::map<std::string, std::string> out;
  for (const auto& [name, s] : chosen) {
    if (s->ports.empty()) continue;
    const std::string prefix = VarName(s->name);
    out[prefix + "_SERVICE_HOST"] = s->cluster_ip;
    out[prefix + "_SERVICE_PORT"] = absl::StrCat(s->ports[0].port);
    for (const ServicePort& p : s->ports) {
      if (!p.name.empty()) {
        out[absl::StrCat(prefix, "_SERVICE_PORT_", VarName(p.name))] = absl::StrCat(p.port);
      }
    }
    for (size_t i = 0; i < s->ports.size(); ++i) {
      const ServicePort& p = s->ports[i];
      const std::string protocol = p.protocol.empty() ? "TCP" : p.protocol;
      const std::string lower = absl::AsciiStrToLower(protocol);
      const std::string url = absl::StrCat(lower, "://", HostPort(s->cluster_ip, p.port));
      if (i == 0) out[prefix + "_PORT"] = url;
      const std::string port_prefix =
          absl::StrCat(prefix, "_PORT_", p.port, "_", absl::AsciiStrToUpper(protocol));
      out[port_prefix] = url;
      out[port_prefix + "_PROTO"] = lower;
      out[port_prefix + "_PORT"] = absl::StrCat(p.port);
      out[port_prefix + "_ADDR"] = s->cluster_ip;
    }
  }
  return out;
}

}  // namespace cubelet::apiobjects
