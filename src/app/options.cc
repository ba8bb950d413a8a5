#include "app/options.h"

#include <unistd.h>

#include <cctype>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lifecycle/security_admission.h"
#include "yaml-cpp/yaml.h"

namespace cubelet::app {
namespace {

using Setter = std::function<absl::Status(const std::string& value, AgentOptions& o)>;

absl::Status SetInt(const std::string& value, int& out, int min, int max) {
  int v;
  if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid value \"", value, "\": must be an integer in [", min, ", ", max, "]"));
  }
  out = v;
  return absl::OkStatus();
}

absl::Status SetDuration(const std::string& value, absl::Duration& out) {
  absl::Duration d;
  if (!absl::ParseDuration(value, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid value \"", value, "\": must be a positive duration such as 20s or 1m30s"));
  }
  out = d;
  return absl::OkStatus();
}

Setter String(std::string AgentOptions::*field) {
  return [field](const std::string& v, AgentOptions& o) {
    o.*field = v;
    return absl::OkStatus();
  };
}
Setter Duration(absl::Duration AgentOptions::*field) {
  return [field](const std::string& v, AgentOptions& o) { return SetDuration(v, o.*field); };
}
Setter Int(int AgentOptions::*field, int min, int max) {
  return [field, min, max](const std::string& v, AgentOptions& o) {
    return SetInt(v, o.*field, min, max);
  };
}

Setter Bool(bool AgentOptions::*field) {
  return [field](const std::string& v, AgentOptions& o) {
    if (v == "true" || v == "1") {
      o.*field = true;
    } else if (v == "false" || v == "0") {
      o.*field = false;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value \"", v, "\": must be true or false"));
    }
    return absl::OkStatus();
  };
}

absl::Status SetQps(const std::string& value, AgentOptions& o) {
  double v;
  if (!absl::SimpleAtod(value, &v) || v < 0 || v > 1e6) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", value, "\": must be a number >= 0 (0: no limit)"));
  }
  o.kube_api_qps = v;
  return absl::OkStatus();
}

// "k=v,k2=v2" (the kubelet's --node-labels, a mapStringString flag).
absl::Status SetLabels(const std::string& value, AgentOptions& o) {
  std::map<std::string, std::string> labels;
  for (absl::string_view pair : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(pair, absl::MaxSplits('=', 1));
    const std::string key(absl::StripAsciiWhitespace(kv.first));
    if (key.empty() || !absl::StrContains(pair, '=')) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid label \"", pair, "\": must be key=value"));
    }
    labels[key] = std::string(absl::StripAsciiWhitespace(kv.second));
  }
  o.node_labels = std::move(labels);
  return absl::OkStatus();
}

// "kernel.msg*,net.core.somaxconn" (the kubelet's --allowed-unsafe-sysctls).
absl::Status SetUnsafeSysctls(const std::string& value, AgentOptions& o) {
  std::vector<std::string> patterns;
  for (absl::string_view p : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    patterns.emplace_back(absl::StripAsciiWhitespace(p));
  }
  if (absl::Status s = lifecycle::ValidateUnsafeSysctlPatterns(patterns); !s.ok()) return s;
  o.allowed_unsafe_sysctls = std::move(patterns);
  return absl::OkStatus();
}

struct Flag {
  Setter set;
  const char* help;
};

const std::map<std::string, Flag>& Flags() {
  static const auto* flags = new std::map<std::string, Flag>{
      {"config",
       {String(&AgentOptions::config_file),
        "KubeletConfiguration file (kubelet.config.k8s.io/v1beta1); flags override it"}},
      {"pod-manifest-path",
       {String(&AgentOptions::pod_manifest_path), "directory (or file) of static pod manifests"}},
      {"manifest-url", {String(&AgentOptions::manifest_url), "URL of a pod manifest source"}},
      {"container-runtime-endpoint",
       {String(&AgentOptions::container_runtime_endpoint),
        "CRI socket (default unix:///run/containerd/containerd.sock)"}},
      {"root-dir", {String(&AgentOptions::root_dir), "agent state (default /var/lib/cubelet)"}},
      {"pod-logs-dir",
       {String(&AgentOptions::pod_logs_dir), "container logs (default /var/log/pods)"}},
      {"device-plugin-dir",
       {String(&AgentOptions::device_plugin_dir),
        "where device plugins register (kubelet.sock); empty disables them (default "
        "/var/lib/kubelet/device-plugins)"}},
      {"node-name", {String(&AgentOptions::node_name), "node name (default: the host name)"}},
      {"hostname-override", {String(&AgentOptions::node_name), "alias of --node-name"}},
      {"address",
       {[](const std::string& v, AgentOptions& o) {
          o.address = v;
          o.secure_address = v;
          return absl::OkStatus();
        },
        "address of the read-only API (default 127.0.0.1) and of the kubelet server (default "
        "0.0.0.0)"}},
      {"port",
       {Int(&AgentOptions::port, 0, 65535),
        "kubelet server (HTTPS) port; 0 disables (default 10250)"}},
      {"tls-cert-file",
       {String(&AgentOptions::tls_cert_file),
        "the kubelet server's certificate (PEM; default: self-signed, kept in --cert-dir)"}},
      {"tls-private-key-file",
       {String(&AgentOptions::tls_private_key_file), "the key of --tls-cert-file"}},
      {"cert-dir",
       {String(&AgentOptions::cert_dir),
        "where the self-signed certificate is kept (default <root-dir>/pki)"}},
      {"client-ca-file",
       {String(&AgentOptions::client_ca_file),
        "CA whose client certificates authenticate to the kubelet server"}},
      {"authentication-token-webhook",
       {Bool(&AgentOptions::authentication_token_webhook),
        "check bearer tokens with the API server's TokenReview (default true)"}},
      {"anonymous-auth",
       {Bool(&AgentOptions::anonymous_auth),
        "let requests without credentials in as system:anonymous (default false)"}},
      {"authorization-mode",
       {[](const std::string& v, AgentOptions& o) {
          if (v != "AlwaysAllow" && v != "Webhook") {
            return absl::InvalidArgumentError(absl::StrCat(
                "Unsupported value: \"", v, "\": supported values: \"AlwaysAllow\", \"Webhook\""));
          }
          o.authorization_mode = v;
          return absl::OkStatus();
        },
        "AlwaysAllow or Webhook (SubjectAccessReview; default with an API server)"}},
      {"healthz-port",
       {Int(&AgentOptions::healthz_port, 0, 65535),
        "plain-HTTP /healthz port; 0 disables (default 10248)"}},
      {"healthz-bind-address",
       {String(&AgentOptions::healthz_bind_address),
        "address of --healthz-port (default 127.0.0.1)"}},
      {"read-only-port",
       {Int(&AgentOptions::read_only_port, 0, 65535),
        "read-only API port; 0 disables (default 10255)"}},
      {"file-check-frequency",
       {Duration(&AgentOptions::file_check_frequency),
        "manifest directory rescan period (default 20s)"}},
      {"http-check-frequency",
       {Duration(&AgentOptions::http_check_frequency), "manifest URL poll period (default 20s)"}},
      {"sync-frequency",
       {Duration(&AgentOptions::sync_frequency), "per-pod resync period (default 1m)"}},
      {"cgroup-root",
       {String(&AgentOptions::cgroup_root), "parent cgroup of pod cgroups (default /cubelet)"}},
      {"kubelet-cgroups",
       {String(&AgentOptions::kubelet_cgroups),
        "cgroup to run the agent in, reported as the \"kubelet\" system container of "
        "/stats/summary (default: where it was started)"}},
      {"runtime-cgroups",
       {String(&AgentOptions::runtime_cgroups),
        "the container runtime's cgroup, reported as the \"runtime\" system container"}},
      {"system-cgroups",
       {String(&AgentOptions::system_cgroups),
        "the other system processes' cgroup, reported as the \"misc\" system container"}},
      {"v", {Int(&AgentOptions::verbosity, 0, 10), "log verbosity (default 0)"}},
      {"kubeconfig",
       {String(&AgentOptions::kubeconfig),
        "kubeconfig of the API server to join as a node (default: standalone)"}},
      {"register-node",
       {Bool(&AgentOptions::register_node),
        "register the Node with the API server (default true)"}},
      {"node-labels", {SetLabels, "labels to add when registering the node: k=v,k2=v2"}},
      {"node-ip", {String(&AgentOptions::node_ip), "the node's InternalIP (default: the host IP)"}},
      {"allowed-unsafe-sysctls",
       {SetUnsafeSysctls,
        "sysctls (or prefixes ending in *) pods may set beside the safe ones: a,b.*"}},
      {"cluster-domain",
       {String(&AgentOptions::cluster_domain),
        "the cluster's DNS domain, for pods' FQDNs (e.g. cluster.local; default none)"}},
      {"node-status-report-frequency",
       {Duration(&AgentOptions::node_status_report_frequency),
        "how often an unchanged node status is still sent (default 5m)"}},
      {"node-status-update-frequency",
       {Duration(&AgentOptions::node_status_update_frequency),
        "how often the node status is checked and sent when changed (default 10s)"}},
      {"kube-api-qps", {SetQps, "requests per second to the API server (default 50)"}},
      {"kube-api-burst",
       {Int(&AgentOptions::kube_api_burst, 1, 100000),
        "burst of requests to the API server (default 100)"}},
      {"max-pods",
       {Int(&AgentOptions::max_pods, 1, 1000000),
        "pods this node admits; more are rejected OutOfpods (default 110)"}},
      {"runtime-events",
       {Bool(&AgentOptions::runtime_events),
        "learn of container starts and exits from the runtime's event stream (default true)"}},
      {"evented-relist-period",
       {Duration(&AgentOptions::evented_relist_period),
        "relist period while the runtime's event stream is live (default 1m)"}},
      {"pod-worker-threads",
       {Int(&AgentOptions::pod_worker_threads, 1, 256),
        "threads that run pod sync steps (default 8)"}},
  };
  return *flags;
}

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

absl::Status Finish(AgentOptions& o) {
  if (o.node_name.empty()) o.node_name = Hostname();
  if (o.cert_dir.empty()) o.cert_dir = o.root_dir + "/pki";
  // Static pod names embed the node name and must be valid DNS subdomains.
  o.node_name = Lower(o.node_name);
  if (!o.container_runtime_endpoint.empty() &&
      !absl::StartsWith(o.container_runtime_endpoint, "unix://") &&
      o.container_runtime_endpoint[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("--container-runtime-endpoint: \"",
                                                   o.container_runtime_endpoint,
                                                   "\": only unix:// endpoints are supported"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Usage() {
  std::ostringstream out;
  out << "Usage: cubelet [flags]            run the node agent\n"
         "       cubelet get|describe|logs|validate ...   talk to it (cubelet help)\n\nFlags:\n";
  for (const auto& [name, flag] : Flags()) {
    out << "  --" << name << std::string(name.size() < 28 ? 28 - name.size() : 1, ' ') << flag.help
        << "\n";
  }
  return out.str();
}

absl::Status ApplyConfigFile(const std::string& content, const std::string& source,
                             AgentOptions& options) {
  YAML::Node doc;
  try {
    doc = YAML::Load(content);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", e.what()));
  }
  if (!doc.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a KubeletConfiguration object"));
  }
  // KubeletConfiguration field -> flag it stands for.
  static const auto* fields = new std::map<std::string, std::string>{
      {"staticPodPath", "pod-manifest-path"},
      {"staticPodURL", "manifest-url"},
      {"containerRuntimeEndpoint", "container-runtime-endpoint"},
      {"podLogsDir", "pod-logs-dir"},
      {"address", "address"},
      {"readOnlyPort", "read-only-port"},
      {"fileCheckFrequency", "file-check-frequency"},
      {"httpCheckFrequency", "http-check-frequency"},
      {"syncFrequency", "sync-frequency"},
      {"cgroupRoot", "cgroup-root"},
      {"kubeletCgroups", "kubelet-cgroups"},
      {"systemCgroups", "system-cgroups"},
      {"registerNode", "register-node"},
      {"nodeStatusUpdateFrequency", "node-status-update-frequency"},
      {"nodeStatusReportFrequency", "node-status-report-frequency"},
      {"kubeAPIQPS", "kube-api-qps"},
      {"kubeAPIBurst", "kube-api-burst"},
      {"maxPods", "max-pods"},
      {"clusterDomain", "cluster-domain"},
      {"allowedUnsafeSysctls", "allowed-unsafe-sysctls"},
      {"port", "port"},
      {"tlsCertFile", "tls-cert-file"},
      {"tlsPrivateKeyFile", "tls-private-key-file"},
      {"healthzPort", "healthz-port"},
      {"healthzBindAddress", "healthz-bind-address"},
      {"authentication.anonymous.enabled", "anonymous-auth"},
      {"authentication.webhook.enabled", "authentication-token-webhook"},
      {"authentication.x509.clientCAFile", "client-ca-file"},
      {"authorization.mode", "authorization-mode"},
  };
  // The document's scalar fields by dotted path (authentication.anonymous.enabled).
  std::vector<std::pair<std::string, std::string>> leaves;
  std::function<absl::Status(const YAML::Node&, const std::string&)> flatten =
      [&](const YAML::Node& node, const std::string& prefix) -> absl::Status {
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {  // as<std::string>() would throw
        return absl::InvalidArgumentError(absl::StrCat(source, ": field names must be strings"));
      }
      std::string key = prefix + entry.first.as<std::string>();
      if (entry.second.IsMap() && (key == "authentication" || key == "authorization" ||
                                   absl::StartsWith(key, "authentication."))) {
        if (absl::Status s = flatten(entry.second, key + "."); !s.ok()) return s;
        continue;
      }
      if (key == "allowedUnsafeSysctls" && entry.second.IsSequence()) {
        std::vector<std::string> items;
        for (const auto& item : entry.second) {
          if (!item.IsScalar()) {
            return absl::InvalidArgumentError(
                absl::StrCat(source, ": ", key, ": must be a list of strings"));
          }
          items.push_back(item.as<std::string>());
        }
        leaves.emplace_back(key, absl::StrJoin(items, ","));
        continue;
      }
      if (!entry.second.IsScalar()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": ", key, ": must be a string or number"));
      }
      leaves.emplace_back(key, entry.second.as<std::string>());
    }
    return absl::OkStatus();
  };
  if (absl::Status s = flatten(doc, ""); !s.ok()) return s;
  std::string api_version, kind;
  for (const auto& [key, value] : leaves) {
    if (key == "apiVersion") {
      api_version = value;
      continue;
    }
    if (key == "kind") {
      kind = value;
      continue;
    }
    auto field = fields->find(key);
    if (field == fields->end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": ", key, ": unknown or unsupported KubeletConfiguration field"));
    }
    if (absl::Status s = Flags().at(field->second).set(value, options); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", key, ": ", s.message()));
    }
  }
  if (api_version != "kubelet.config.k8s.io/v1beta1") {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": apiVersion: Unsupported value: \"", api_version,
                     "\": supported values: \"kubelet.config.k8s.io/v1beta1\""));
  }
  if (kind != "KubeletConfiguration") {
    return absl::InvalidArgumentError(absl::StrCat(source, ": kind: Unsupported value: \"", kind,
                                                   "\": supported values: "
                                                   "\"KubeletConfiguration\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<AgentOptions> ParseOptions(const std::vector<std::string>& args) {
  // First pass: split into (name, value) pairs.
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      AgentOptions o;
      o.help = true;
      return o;
    }
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", args[i], "\" (see cubelet --help)"));
    }
    std::string name(arg), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (!Flags().contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", name));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: --", name));
      }
      value = args[++i];
    }
    flags.emplace_back(name, value);
  }
  AgentOptions options;
  for (const auto& [name, value] : flags) {
    if (name == "config") options.config_file = value;
  }
  if (!options.config_file.empty()) {
    std::ifstream in(options.config_file);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("--config: cannot read \"", options.config_file, "\""));
    }
    std::stringstream content;
    content << in.rdbuf();
    if (absl::Status s = ApplyConfigFile(content.str(), options.config_file, options); !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : flags) {
    if (absl::Status s = Flags().at(name).set(value, options); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", s.message()));
    }
  }
  if (absl::Status s = Finish(options); !s.ok()) return s;
  return options;
}

}  // namespace cubelet::app
