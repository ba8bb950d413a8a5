#include "kuberuntime/labels.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kuberuntime/hash.h"
#include "nlohmann/json.hpp"

namespace cubelet::kuberuntime {
namespace {

using nlohmann::json;

std::string Get(const cri::Labels& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

std::optional<int64_t> GetInt64(const cri::Labels& m, const char* key) {
  auto it = m.find(key);
  int64_t v;
  if (it == m.end() || !absl::SimpleAtoi(it->second, &v)) return std::nullopt;
  return v;
}

json IntOrStringToJson(const api::IntOrString& v) {
  if (v.is_string) return v.string_value;
  return v.int_value;
}

std::optional<api::IntOrString> IntOrStringFromJson(const json& j) {
  api::IntOrString v;
  if (j.is_string()) {
    v.is_string = true;
    v.string_value = j.get<std::string>();
    return v;
  }
  if (j.is_number_integer()) {
    v.int_value = j.get<int32_t>();
    return v;
  }
  return std::nullopt;
}

// Readers that tolerate wrong types: an annotation is data from the runtime,
// not trusted input, and nlohmann's get<> would throw (exceptions are off).
std::string StrAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t IntAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

}  // namespace

cri::Labels NewPodLabels(const api::Pod& pod) {
  cri::Labels labels(pod.metadata.labels.begin(), pod.metadata.labels.end());
  labels[kPodNameLabel] = pod.metadata.name;
  labels[kPodNamespaceLabel] = pod.metadata.namespace_;
  labels[kPodUidLabel] = pod.metadata.uid;
  return labels;
}

cri::Labels NewPodAnnotations(const api::Pod& pod) {
  return cri::Labels(pod.metadata.annotations.begin(), pod.metadata.annotations.end());
}

cri::Labels NewContainerLabels(const api::Container& container, const api::Pod& pod) {
  return cri::Labels{{kPodNameLabel, pod.metadata.name},
                     {kPodNamespaceLabel, pod.metadata.namespace_},
                     {kPodUidLabel, pod.metadata.uid},
                     {kContainerNameLabel, container.name}};
}

cri::Labels NewContainerAnnotations(const api::Container& container, const api::Pod& pod,
                                    int32_t restart_count) {
  cri::Labels a;
  a[kContainerHashAnnotation] = HashToString(HashContainer(container));
  a[kContainerRestartCountAnnotation] = absl::StrCat(restart_count);
  a[kContainerTerminationMessagePathAnnotation] = container.termination_message_path;
  a[kContainerTerminationMessagePolicyAnnotation] = container.termination_message_policy;
  if (pod.metadata.deletion_grace_period_seconds) {
    a[kPodDeletionGracePeriodAnnotation] =
        absl::StrCat(*pod.metadata.deletion_grace_period_seconds);
  }
  if (pod.spec.termination_grace_period_seconds) {
    a[kPodTerminationGracePeriodAnnotation] =
        absl::StrCat(*pod.spec.termination_grace_period_seconds);
  }
  if (container.lifecycle && container.lifecycle->pre_stop) {
    a[kContainerPreStopHandlerAnnotation] = LifecycleHandlerToJson(*container.lifecycle->pre_stop);
  }
  if (!container.ports.empty()) {
    a[kContainerPortsAnnotation] = ContainerPortsToJson(container.ports);
  }
  return a;
}

LabeledPodSandboxInfo GetPodSandboxInfoFromLabels(const cri::Labels& labels) {
  LabeledPodSandboxInfo info;
  info.pod_name = Get(labels, kPodNameLabel);
  info.pod_namespace = Get(labels, kPodNamespaceLabel);
  info.pod_uid = Get(labels, kPodUidLabel);
  for (const auto& [k, v] : labels) {
    if (k != kPodNameLabel && k != kPodNamespaceLabel && k != kPodUidLabel) info.labels[k] = v;
  }
  return info;
}

LabeledContainerInfo GetContainerInfoFromLabels(const cri::Labels& labels) {
  return LabeledContainerInfo{.container_name = Get(labels, kContainerNameLabel),
                              .pod_name = Get(labels, kPodNameLabel),
                              .pod_namespace = Get(labels, kPodNamespaceLabel),
                              .pod_uid = Get(labels, kPodUidLabel)};
}

uint64_t GetContainerHashFromAnnotations(const cri::Labels& annotations) {
  auto it = annotations.find(kContainerHashAnnotation);
  if (it == annotations.end()) return 0;
  return ParseHash(it->second).value_or(0);
}

AnnotatedContainerInfo GetContainerInfoFromAnnotations(const cri::Labels& annotations) {
  AnnotatedContainerInfo info;
  info.hash = GetContainerHashFromAnnotations(annotations);
  if (auto rc = GetInt64(annotations, kContainerRestartCountAnnotation)) {
    info.restart_count = static_cast<int32_t>(*rc);
  }
  info.pod_deletion_grace_period = GetInt64(annotations, kPodDeletionGracePeriodAnnotation);
  info.pod_termination_grace_period = GetInt64(annotations, kPodTerminationGracePeriodAnnotation);
  info.termination_message_path = Get(annotations, kContainerTerminationMessagePathAnnotation);
  info.termination_message_policy = Get(annotations, kContainerTerminationMessagePolicyAnnotation);
  if (auto it = annotations.find(kContainerPreStopHandlerAnnotation); it != annotations.end()) {
    info.pre_stop_handler = LifecycleHandlerFromJson(it->second);
  }
  if (auto it = annotations.find(kContainerPortsAnnotation); it != annotations.end()) {
    if (auto ports = ContainerPortsFromJson(it->second)) info.ports = std::move(*ports);
  }
  return info;
}

std::string LifecycleHandlerToJson(const api::LifecycleHandler& h) {
  json j = json::object();
  if (h.exec) j["exec"] = json{{"command", h.exec->command}};
  if (h.http_get) {
    json g = json::object();
    if (!h.http_get->path.empty()) g["path"] = h.http_get->path;
    g["port"] = IntOrStringToJson(h.http_get->port);
    if (!h.http_get->host.empty()) g["host"] = h.http_get->host;
    if (!h.http_get->scheme.empty()) g["scheme"] = h.http_get->scheme;
    if (!h.http_get->http_headers.empty()) {
      json headers = json::array();
      for (const api::HTTPHeader& hdr : h.http_get->http_headers) {
        headers.push_back(json{{"name", hdr.name}, {"value", hdr.value}});
      }
      g["httpHeaders"] = std::move(headers);
    }
    j["httpGet"] = std::move(g);
  }
  if (h.tcp_socket) {
    json t = json{{"port", IntOrStringToJson(h.tcp_socket->port)}};
    if (!h.tcp_socket->host.empty()) t["host"] = h.tcp_socket->host;
    j["tcpSocket"] = std::move(t);
  }
  if (h.sleep) j["sleep"] = json{{"seconds", h.sleep->seconds}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<api::LifecycleHandler> LifecycleHandlerFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  api::LifecycleHandler h;
  if (auto it = j.find("exec"); it != j.end() && it->is_object()) {
    api::ExecAction exec;
    if (auto c = it->find("command"); c != it->end() && c->is_array()) {
      for (const json& arg : *c) {
        if (arg.is_string()) exec.command.push_back(arg.get<std::string>());
      }
    }
    h.exec = std::move(exec);
  }
  if (auto it = j.find("httpGet"); it != j.end() && it->is_object()) {
    api::HTTPGetAction g;
    g.path = StrAt(*it, "path");
    g.host = StrAt(*it, "host");
    g.scheme = StrAt(*it, "scheme");
    if (auto p = it->find("port"); p != it->end()) {
      if (auto port = IntOrStringFromJson(*p)) g.port = *port;
    }
    if (auto hs = it->find("httpHeaders"); hs != it->end() && hs->is_array()) {
      for (const json& hdr : *hs) {
        if (hdr.is_object()) g.http_headers.push_back({StrAt(hdr, "name"), StrAt(hdr, "value")});
      }
    }
    h.http_get = std::move(g);
  }
  if (auto it = j.find("tcpSocket"); it != j.end() && it->is_object()) {
    api::TCPSocketAction t;
    t.host = StrAt(*it, "host");
    if (auto p = it->find("port"); p != it->end()) {
      if (auto port = IntOrStringFromJson(*p)) t.port = *port;
    }
    h.tcp_socket = std::move(t);
  }
  if (auto it = j.find("sleep"); it != j.end() && it->is_object()) {
    h.sleep = api::SleepAction{.seconds = IntAt(*it, "seconds")};
  }
  return h;
}

std::string ContainerPortsToJson(const std::vector<api::ContainerPort>& ports) {
  json arr = json::array();
  for (const api::ContainerPort& p : ports) {
    json o = json::object();
    if (!p.name.empty()) o["name"] = p.name;
    if (p.host_port != 0) o["hostPort"] = p.host_port;
    o["containerPort"] = p.container_port;
    if (!p.protocol.empty()) o["protocol"] = p.protocol;
    if (!p.host_ip.empty()) o["hostIP"] = p.host_ip;
    arr.push_back(std::move(o));
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::vector<api::ContainerPort>> ContainerPortsFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return std::nullopt;
  std::vector<api::ContainerPort> ports;
  for (const json& o : j) {
    if (!o.is_object()) continue;
    ports.push_back(
        api::ContainerPort{.name = StrAt(o, "name"),
                           .host_port = static_cast<int32_t>(IntAt(o, "hostPort")),
                           .container_port = static_cast<int32_t>(IntAt(o, "containerPort")),
                           .protocol = StrAt(o, "protocol"),
                           .host_ip = StrAt(o, "hostIP")});
  }
  return ports;
}

}  // namespace cubelet::kuberuntime
