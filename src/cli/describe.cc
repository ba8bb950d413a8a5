#include "cli/describe.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cli/printers.h"
#include "cli/tabwriter.h"

namespace cubelet::cli {
namespace {

// kubectl leaves this one out of Annotations.
constexpr char kLastAppliedAnnotation[] = "kubectl.kubernetes.io/last-applied-configuration";
constexpr size_t kMaxAnnotationLen = 140;

// kubectl's PrefixWriter: two spaces per level before each write.
class PrefixWriter {
 public:
  void Write(int level, std::string_view text) {
    for (int i = 0; i < level; ++i) text_ += "  ";
    text_ += text;
  }
  std::string Align() const { return AlignTabs(text_, kDescribeMinWidth, kDescribePadding); }

 private:
  std::string text_;
};

// Go's time.RFC1123Z; an unset time prints as Go's zero time does.
std::string Rfc1123Z(const std::optional<absl::Time>& t, absl::TimeZone zone) {
  if (!t) return "Mon, 01 Jan 0001 00:00:00 +0000";
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", *t, zone);
}

std::string PrintBool(bool b) { return b ? "True" : "False"; }

std::string OrNone(std::string s) { return s.empty() ? "<none>" : s; }

// Go's %v of a []string.
std::string GoStringSlice(const std::vector<std::string>& v) {
  return absl::StrCat("[", absl::StrJoin(v, " "), "]");
}

std::string IntOrStringText(const api::IntOrString& v) {
  return v.is_string ? v.string_value : absl::StrCat(v.int_value);
}

// net.JoinHostPort.
std::string JoinHostPort(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

void PrintLabels(PrefixWriter& w, const std::string& title,
                 const std::map<std::string, std::string>& labels) {
  w.Write(0, absl::StrCat(title, ":\t"));
  if (labels.empty()) {
    w.Write(0, "<none>\n");
    return;
  }
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) w.Write(0, "\t");
    first = false;
    w.Write(0, absl::StrCat(key, "=", value, "\n"));
  }
}

std::string Shorten(absl::string_view s, size_t max_length) {
  if (s.size() > max_length) return absl::StrCat(s.substr(0, max_length), "...");
  return std::string(s);
}

void PrintAnnotations(PrefixWriter& w, const std::string& title,
                      const std::map<std::string, std::string>& annotations) {
  w.Write(0, absl::StrCat(title, ":\t"));
  bool first = true;
  for (const auto& [key, raw_value] : annotations) {
    if (key == kLastAppliedAnnotation) continue;
    if (!first) w.Write(0, "\t");
    first = false;
    absl::string_view value = raw_value;
    if (absl::EndsWith(value, "\n")) value.remove_suffix(1);
    if (value.size() + key.size() + 2 > kMaxAnnotationLen ||
        value.find('\n') != absl::string_view::npos) {
      w.Write(0, absl::StrCat(key, ":\n"));
      for (absl::string_view line : absl::StrSplit(value, '\n')) {
        w.Write(0, absl::StrCat("\t", Shorten(line, kMaxAnnotationLen - 2), "\n"));
      }
    } else {
      w.Write(0, absl::StrCat(key, ": ", value, "\n"));
    }
  }
  if (first) w.Write(0, "<none>\n");
}

// The value a fieldRef env var resolves to (kubectl's EnvValueRetriever), for
// the paths the downward API supports; "" for others.
std::string ResolveFieldRef(const api::Pod& pod, std::string_view path) {
  auto lookup = [](const std::map<std::string, std::string>& m, std::string_view key) {
    auto it = m.find(std::string(key));
    return it == m.end() ? std::string() : it->second;
  };
  auto subscript = [&path](std::string_view prefix) -> std::optional<std::string_view> {
    if (!path.starts_with(prefix) || !path.ends_with("']")) return std::nullopt;
    return path.substr(prefix.size(), path.size() - prefix.size() - 2);
  };
  if (path == "metadata.name") return pod.metadata.name;
  if (path == "metadata.namespace") return pod.metadata.namespace_;
  if (path == "metadata.uid") return pod.metadata.uid;
  if (path == "spec.nodeName") return pod.spec.node_name;
  if (path == "status.hostIP") return pod.status.host_ip;
  if (path == "status.podIP") return pod.status.pod_ip;
  if (path == "status.podIPs") {
    std::vector<std::string> ips;
    for (const api::PodIP& ip : pod.status.pod_ips) ips.push_back(ip.ip);
    return absl::StrJoin(ips, ",");
  }
  if (auto key = subscript("metadata.labels['")) return lookup(pod.metadata.labels, *key);
  if (auto key = subscript("metadata.annotations['")) return lookup(pod.metadata.annotations, *key);
  return "";
}

// kubectl's DescribeProbe.
std::string DescribeProbe(const api::Probe& p) {
  std::string attrs =
      absl::StrCat("delay=", p.initial_delay_seconds, "s timeout=", p.timeout_seconds,
                   "s period=", p.period_seconds, "s #success=", p.success_threshold,
                   " #failure=", p.failure_threshold);
  const api::ProbeHandler& h = p.handler;
  if (h.exec) return absl::StrCat("exec ", GoStringSlice(h.exec->command), " ", attrs);
  if (h.http_get) {
    std::string port = IntOrStringText(h.http_get->port);
    std::string host = port.empty() ? h.http_get->host : JoinHostPort(h.http_get->host, port);
    std::string path = h.http_get->path;
    if (!path.empty() && path.front() != '/' && !host.empty()) path.insert(0, "/");
    return absl::StrCat("http-get ", absl::AsciiStrToLower(h.http_get->scheme), "://", host, path,
                        " ", attrs);
  }
  if (h.tcp_socket) {
    return absl::StrCat("tcp-socket ", h.tcp_socket->host, ":", IntOrStringText(h.tcp_socket->port),
                        " ", attrs);
  }
  if (h.grpc) {
    return absl::StrCat("grpc <pod>:", h.grpc->port, " ", h.grpc->service.value_or(""), " ", attrs);
  }
  return absl::StrCat("unknown ", attrs);
}

void DescribeState(PrefixWriter& w, const std::string& name, const api::ContainerState& state,
                   absl::TimeZone zone) {
  if (state.running) {
    w.Write(2, absl::StrCat(name, ":\tRunning\n"));
    w.Write(3, absl::StrCat("Started:\t", Rfc1123Z(state.running->started_at, zone), "\n"));
  } else if (state.waiting) {
    w.Write(2, absl::StrCat(name, ":\tWaiting\n"));
    if (!state.waiting->reason.empty()) {
      w.Write(3, absl::StrCat("Reason:\t", state.waiting->reason, "\n"));
    }
  } else if (state.terminated) {
    const api::ContainerStateTerminated& t = *state.terminated;
    w.Write(2, absl::StrCat(name, ":\tTerminated\n"));
    if (!t.reason.empty()) w.Write(3, absl::StrCat("Reason:\t", t.reason, "\n"));
    if (!t.message.empty()) w.Write(3, absl::StrCat("Message:\t", t.message, "\n"));
    w.Write(3, absl::StrCat("Exit Code:\t", t.exit_code, "\n"));
    if (t.signal > 0) w.Write(3, absl::StrCat("Signal:\t", t.signal, "\n"));
    w.Write(3, absl::StrCat("Started:\t", Rfc1123Z(t.started_at, zone), "\n"));
    w.Write(3, absl::StrCat("Finished:\t", Rfc1123Z(t.finished_at, zone), "\n"));
  } else {
    w.Write(2, absl::StrCat(name, ":\tWaiting\n"));
  }
}

void DescribeResources(PrefixWriter& w, const api::ResourceRequirements& r) {
  if (!r.limits.empty()) w.Write(2, "Limits:\n");
  for (const auto& [name, quantity] : r.limits)
    w.Write(3, absl::StrCat(name, ":\t", quantity, "\n"));
  if (!r.requests.empty()) w.Write(2, "Requests:\n");
  for (const auto& [name, quantity] : r.requests) {
    w.Write(3, absl::StrCat(name, ":\t", quantity, "\n"));
  }
}

void DescribeContainer(PrefixWriter& w, const api::Pod& pod, const api::Container& c,
                       const api::ContainerStatus* status, absl::TimeZone zone) {
  w.Write(1, absl::StrCat(c.name, ":\n"));
  if (status) w.Write(2, absl::StrCat("Container ID:\t", status->container_id, "\n"));
  w.Write(2, absl::StrCat("Image:\t", c.image, "\n"));
  if (status) w.Write(2, absl::StrCat("Image ID:\t", status->image_id, "\n"));

  std::vector<std::string> ports, host_ports;
  for (const api::ContainerPort& p : c.ports) {
    ports.push_back(absl::StrCat(p.container_port, "/", p.protocol));
    host_ports.push_back(absl::StrCat(p.host_port, "/", p.protocol));
  }
  std::string port_text = absl::StrJoin(ports, ", ");
  std::string host_port_text = absl::StrJoin(host_ports, ", ");
  if (port_text.find(',') != std::string::npos) {
    w.Write(2, absl::StrCat("Ports:\t", port_text, "\n"));
  } else {
    w.Write(2, absl::StrCat("Port:\t", OrNone(port_text), "\n"));
  }
  if (host_port_text.find(',') != std::string::npos) {
    w.Write(2, absl::StrCat("Host Ports:\t", host_port_text, "\n"));
  } else {
    w.Write(2, absl::StrCat("Host Port:\t", OrNone(host_port_text), "\n"));
  }

  auto lines = [&w](const std::string& title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    w.Write(2, absl::StrCat(title, ":\n"));
    for (const std::string& item : items) {
      for (absl::string_view s : absl::StrSplit(item, '\n')) w.Write(3, absl::StrCat(s, "\n"));
    }
  };
  lines("Command", c.command);
  lines("Args", c.args);

  if (status) {
    DescribeState(w, "State", status->state, zone);
    if (status->last_state.terminated) DescribeState(w, "Last State", status->last_state, zone);
    w.Write(2, absl::StrCat("Ready:\t", PrintBool(status->ready), "\n"));
    w.Write(2, absl::StrCat("Restart Count:\t", status->restart_count, "\n"));
  }
  DescribeResources(w, c.resources);
  if (c.liveness_probe)
    w.Write(2, absl::StrCat("Liveness:\t", DescribeProbe(*c.liveness_probe), "\n"));
  if (c.readiness_probe) {
    w.Write(2, absl::StrCat("Readiness:\t", DescribeProbe(*c.readiness_probe), "\n"));
  }
  if (c.startup_probe)
    w.Write(2, absl::StrCat("Startup:\t", DescribeProbe(*c.startup_probe), "\n"));

  w.Write(2, c.env.empty() ? "Environment:\t<none>\n" : "Environment:\n");
  for (const api::EnvVar& e : c.env) {
    if (e.value_from && e.value_from->field_ref) {
      const api::ObjectFieldSelector& ref = *e.value_from->field_ref;
      w.Write(3, absl::StrCat(e.name, ":\t", ResolveFieldRef(pod, ref.field_path), " (",
                              ref.api_version, ":", ref.field_path, ")\n"));
      continue;
    }
    bool first = true;
    for (absl::string_view s : absl::StrSplit(e.value, '\n')) {
      w.Write(3, first ? absl::StrCat(e.name, ":\t", s, "\n") : absl::StrCat("\t", s, "\n"));
      first = false;
    }
  }

  w.Write(2, c.volume_mounts.empty() ? "Mounts:\t<none>\n" : "Mounts:\n");
  std::vector<api::VolumeMount> mounts = c.volume_mounts;
  std::stable_sort(mounts.begin(), mounts.end(),
                   [](const api::VolumeMount& a, const api::VolumeMount& b) {
                     return a.mount_path < b.mount_path;
                   });
  for (const api::VolumeMount& m : mounts) {
    std::string flags = m.read_only ? "ro" : "rw";
    if (!m.sub_path.empty()) absl::StrAppend(&flags, ",path=\"", m.sub_path, "\"");
    w.Write(3, absl::StrCat(m.mount_path, " from ", m.name, " (", flags, ")\n"));
  }
}

void DescribeContainers(PrefixWriter& w, const std::string& label, const api::Pod& pod,
                        const std::vector<api::Container>& containers,
                        const std::vector<api::ContainerStatus>& statuses, absl::TimeZone zone) {
  w.Write(0, absl::StrCat(label, ":", containers.empty() ? " <none>" : "", "\n"));
  for (const api::Container& c : containers) {
    const api::ContainerStatus* status = nullptr;
    for (const api::ContainerStatus& s : statuses) {
      if (s.name == c.name) status = &s;
    }
    DescribeContainer(w, pod, c, status, zone);
  }
}

void DescribeVolumes(PrefixWriter& w, const std::vector<api::Volume>& volumes) {
  if (volumes.empty()) {
    w.Write(0, "Volumes:\t<none>\n");
    return;
  }
  w.Write(0, "Volumes:\n");
  for (const api::Volume& v : volumes) {
    w.Write(1, absl::StrCat(v.name, ":\n"));
    if (v.host_path) {
      w.Write(
          2, absl::StrCat("Type:\tHostPath (bare host directory volume)\n", "    Path:\t",
                          v.host_path->path, "\n", "    HostPathType:\t", v.host_path->type, "\n"));
    } else if (v.empty_dir) {
      w.Write(2, absl::StrCat("Type:\tEmptyDir (a temporary directory that shares a pod's "
                              "lifetime)\n",
                              "    Medium:\t", v.empty_dir->medium, "\n", "    SizeLimit:\t",
                              v.empty_dir->size_limit.value_or("<unset>"), "\n"));
    } else {
      w.Write(1, "<unknown>\n");
    }
  }
}

}  // namespace

std::string DescribePod(const api::Pod& pod, absl::Time now, absl::TimeZone zone) {
  const api::ObjectMeta& meta = pod.metadata;
  const api::PodStatus& status = pod.status;
  PrefixWriter w;
  w.Write(0, absl::StrCat("Name:\t", meta.name, "\n"));
  w.Write(0, absl::StrCat("Namespace:\t", meta.namespace_, "\n"));
  if (pod.spec.priority) w.Write(0, absl::StrCat("Priority:\t", *pod.spec.priority, "\n"));
  if (pod.spec.node_name.empty()) {
    w.Write(0, "Node:\t<none>\n");
  } else {
    w.Write(0, absl::StrCat("Node:\t", pod.spec.node_name, "/", status.host_ip, "\n"));
  }
  if (status.start_time) {
    w.Write(0, absl::StrCat("Start Time:\t", Rfc1123Z(status.start_time, zone), "\n"));
  }
  PrintLabels(w, "Labels", meta.labels);
  PrintAnnotations(w, "Annotations", meta.annotations);
  if (meta.deletion_timestamp && !api::IsTerminalPhase(status.phase)) {
    w.Write(0, absl::StrCat("Status:\tTerminating (lasts ",
                            TimestampSince(meta.deletion_timestamp, now), ")\n"));
    if (meta.deletion_grace_period_seconds) {
      w.Write(0, absl::StrCat("Termination Grace Period:\t", *meta.deletion_grace_period_seconds,
                              "s\n"));
    }
  } else {
    w.Write(0, absl::StrCat("Status:\t", status.phase, "\n"));
  }
  if (!status.reason.empty()) w.Write(0, absl::StrCat("Reason:\t", status.reason, "\n"));
  if (!status.message.empty()) w.Write(0, absl::StrCat("Message:\t", status.message, "\n"));
  w.Write(0, absl::StrCat("IP:\t", status.pod_ip, "\n"));
  if (status.pod_ips.empty()) {
    w.Write(0, "IPs:\t<none>\n");
  } else {
    w.Write(0, "IPs:\n");
    for (const api::PodIP& ip : status.pod_ips) w.Write(1, absl::StrCat("IP:\t", ip.ip, "\n"));
  }
  if (!pod.spec.init_containers.empty()) {
    DescribeContainers(w, "Init Containers", pod, pod.spec.init_containers,
                       status.init_container_statuses, zone);
  }
  DescribeContainers(w, "Containers", pod, pod.spec.containers, status.container_statuses, zone);
  if (!status.conditions.empty()) {
    w.Write(0, "Conditions:\n  Type\tStatus\n");
    for (const api::PodCondition& c : status.conditions) {
      w.Write(1, absl::StrCat(c.type, " \t", c.status, " \n"));
    }
  }
  DescribeVolumes(w, pod.spec.volumes);
  if (!status.qos_class.empty()) w.Write(0, absl::StrCat("QoS Class:\t", status.qos_class, "\n"));
  w.Write(0, "Events:\t<none>\n");
  return w.Align();
}

}  // namespace cubelet::cli
