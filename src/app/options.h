// AgentOptions: the daemon's settings, from kubelet-compatible flags and an
// optional --config file holding a KubeletConfiguration
// (kubelet.config.k8s.io/v1beta1) subset; flags override the file, as with
// the kubelet. Flags take `--flag=value` or `--flag value`.
//
// Stateless parsing functions; safe from any thread.
#ifndef CUBELET_APP_OPTIONS_H_
#define CUBELET_APP_OPTIONS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cubelet::app {

struct AgentOptions {
  std::string config_file;
  std::string pod_manifest_path;
  std::string manifest_url;
  std::string container_runtime_endpoint = "unix:///run/containerd/containerd.sock";
  std::string root_dir = "/var/lib/cubelet";
  std::string pod_logs_dir = "/var/log/pods";
  // Where device plugins register (devicemanager/device_manager.h): the
  // kubelet's fixed path, which plugins dial; empty disables them.
  std::string device_plugin_dir = "/var/lib/kubelet/device-plugins";
  std::string node_name;  // defaults to the host name, lower-cased
  std::string address = "127.0.0.1";
  int read_only_port = 10255;  // 0 disables the HTTP API
  // The kubelet server (HTTPS): exec, attach, port-forward, logs, pods. It
  // binds --address when that is given, every address otherwise (the
  // API server reaches it at the node's IP). 0 disables it.
  int port = 10250;
  std::string secure_address = "0.0.0.0";
  // Its certificate; neither: a self-signed one kept in cert_dir
  // (default <root-dir>/pki).
  std::string tls_cert_file;
  std::string tls_private_key_file;
  std::string cert_dir;
  // Who may use it: client certificates signed by this CA, bearer tokens
  // checked by the API server (TokenReview), anonymous requests.
  std::string client_ca_file;
  bool authentication_token_webhook = true;
  bool anonymous_auth = false;
  // "Webhook" (SubjectAccessReview) or "AlwaysAllow"; empty: Webhook with an
  // API server, AlwaysAllow standalone.
  std::string authorization_mode;
  // GET /healthz alone, plain HTTP; 0 disables.
  int healthz_port = 10248;
  std::string healthz_bind_address = "127.0.0.1";
  absl::Duration file_check_frequency = absl::Seconds(20);
  absl::Duration http_check_frequency = absl::Seconds(20);
  absl::Duration sync_frequency = absl::Minutes(1);
  std::string cgroup_root = "/cubelet";
  // System containers of /stats/summary: the cgroup the agent moves itself
  // into (empty: it stays where it was started, and that cgroup is
  // reported); the runtime's and the other system processes' cgroups
  // (reported when set; nothing is moved into them).
  std::string kubelet_cgroups;
  std::string runtime_cgroups;
  std::string system_cgroups;
  int verbosity = 0;
  // Threads that run pod workers' steps (CRI calls block, so this bounds how
  // many pods are acted on at once). Not a kubelet flag: the kubelet uses a
  // goroutine per pod.
  int pod_worker_threads = 8;
  // Pods this node admits (the kubelet's --max-pods; allocatable "pods").
  int max_pods = 110;
  // Drive the PLEG from the runtime's event stream (containerd's events
  // service) when it has one; the relist then runs every
  // evented_relist_period as a safety net. Off: the relist every second.
  bool runtime_events = true;
  absl::Duration evented_relist_period = absl::Seconds(60);
  bool help = false;

  // ---- cluster mode (all unused without --kubeconfig) ----
  // The API server and the node's credentials; empty: standalone.
  std::string kubeconfig;
  bool register_node = true;
  // --node-labels k=v,k2=v2: added to the Node at registration.
  std::map<std::string, std::string> node_labels;
  std::string node_ip;  // the Node's InternalIP (default: the host IP)
  // --cluster-domain: the DNS domain of the cluster's Services; a pod with a
  // subdomain gets hostname.subdomain.<namespace>.svc.<domain> as its FQDN.
  std::string cluster_domain;
  // --allowed-unsafe-sysctls: sysctl patterns pods may set beside the safe
  // ones (validated: namespaced sysctls only).
  std::vector<std::string> allowed_unsafe_sysctls;
  absl::Duration node_status_update_frequency = absl::Seconds(10);
  absl::Duration node_status_report_frequency = absl::Minutes(5);
  double kube_api_qps = 50;
  int kube_api_burst = 100;
};

// The usage text (--help).
std::string Usage();

// Parses argv (argv[0] is the program): reads --config first, then applies
// the flags over it. Errors name the flag, or the file and the field.
absl::StatusOr<AgentOptions> ParseOptions(const std::vector<std::string>& args);

// Applies a KubeletConfiguration document (YAML or JSON) to `options`;
// `source` names the file in errors. Unknown fields are errors.
absl::Status ApplyConfigFile(const std::string& content, const std::string& source,
                             AgentOptions& options);

}  // namespace cubelet::app

#endif  // CUBELET_APP_OPTIONS_H_
