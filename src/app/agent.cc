#include "app/agent.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "apiobjects/api_object_manager.h"
#include "apiobjects/service_store.h"
#include "asio/thread_pool.hpp"
#include "client/curl_api_client.h"
#include "client/kubeconfig.h"
#include "config/api_source.h"
#include "config/config.h"
#include "config/file_source.h"
#include "config/http_source.h"
#include "cri/containerd/containerd_events.h"
#include "cri/grpc/cri_events.h"
#include "cri/grpc/grpc_runtime.h"
#include "cri/instrumented/instrumented_services.h"
#include "devicemanager/device_manager.h"
#include "events/api_recorder.h"
#include "lifecycle/predicate.h"
#include "metrics/registry.h"
#include "mirror/mirror_pods.h"
#include "nlohmann/json.hpp"
#include "nodestatus/lease_controller.h"
#include "nodestatus/machine_info.h"
#include "nodestatus/node_status_manager.h"
#include "server/secure_server.h"
#include "server/server.h"
#include "server/streaming_host.h"
#include "server/webhook_auth.h"
#include "stats/cadvisor_metrics.h"
#include "stats/cgroup_stats.h"
#include "stats/resource_metrics.h"
#include "stats/summary_provider.h"
#include "status/api_status_syncer.h"
#include "token/token_manager.h"
#include "util/go_duration.h"
#include "util/log.h"
#include "volume/mounter.h"

namespace cubelet::app {
namespace {

// Probes block on their timeouts (exec, http, tcp, grpc): their own small
// pool keeps them from holding up pod syncs and bounds how many run at once.
constexpr int kProbeThreads = 4;
// Pod stops wait out grace periods (the kubelet gives each its goroutine):
// they run here, up to this many at once, never on the pod-worker threads.
constexpr int kTerminatingThreads = 64;

// The HTTP API's window on the Kubelet.
class KubeletView final : public server::AgentView, public server::StreamingHost {
 public:
  explicit KubeletView(const kubelet::Kubelet* kubelet) : kubelet_(kubelet) {}
  std::vector<api::Pod> GetPods() const override { return kubelet_->GetPods(); }
  absl::Status Healthy() const override { return kubelet_->Healthy(); }

  absl::StatusOr<std::string> GetExec(const server::ContainerRef& ref,
                                      const std::vector<std::string>& cmd,
                                      const cri::StreamOptions& streams) override {
    return kubelet_->GetExec(Target(ref), cmd, streams);
  }
  absl::StatusOr<std::string> GetAttach(const server::ContainerRef& ref,
                                        const cri::StreamOptions& streams) override {
    return kubelet_->GetAttach(Target(ref), streams);
  }
  absl::StatusOr<std::string> GetPortForward(const server::ContainerRef& ref,
                                             const std::vector<int32_t>& ports) override {
    return kubelet_->GetPortForward(Target(ref), ports);
  }
  absl::StatusOr<std::string> RunInContainer(const server::ContainerRef& ref,
                                             const std::vector<std::string>& cmd) override {
    return kubelet_->RunInContainer(Target(ref), cmd);
  }

 private:
  static kubelet::StreamTarget Target(const server::ContainerRef& ref) {
    return {.pod_namespace = ref.pod_namespace,
            .pod_name = ref.pod_name,
            .pod_uid = ref.pod_uid,
            .container = ref.container};
  }
  const kubelet::Kubelet* const kubelet_;
};

// GET /configz: the settings that have a KubeletConfiguration field.
std::string Configz(const AgentOptions& o, const std::string& authorization_mode) {
  nlohmann::json c = {
      {"staticPodPath", o.pod_manifest_path},
      {"staticPodURL", o.manifest_url},
      {"syncFrequency", FormatGoDuration(o.sync_frequency)},
      {"fileCheckFrequency", FormatGoDuration(o.file_check_frequency)},
      {"httpCheckFrequency", FormatGoDuration(o.http_check_frequency)},
      {"address", o.secure_address},
      {"port", o.port},
      {"readOnlyPort", o.read_only_port},
      {"tlsCertFile", o.tls_cert_file},
      {"tlsPrivateKeyFile", o.tls_private_key_file},
      {"authentication",
       {{"x509", {{"clientCAFile", o.client_ca_file}}},
        {"webhook", {{"enabled", o.authentication_token_webhook}, {"cacheTTL", "2m0s"}}},
        {"anonymous", {{"enabled", o.anonymous_auth}}}}},
      {"authorization",
       {{"mode", authorization_mode},
        {"webhook", {{"cacheAuthorizedTTL", "5m0s"}, {"cacheUnauthorizedTTL", "30s"}}}}},
      {"healthzPort", o.healthz_port},
      {"healthzBindAddress", o.healthz_bind_address},
      {"cgroupRoot", o.cgroup_root},
      {"kubeletCgroups", o.kubelet_cgroups},
      {"systemCgroups", o.system_cgroups},
      {"nodeStatusUpdateFrequency", FormatGoDuration(o.node_status_update_frequency)},
      {"nodeStatusReportFrequency", FormatGoDuration(o.node_status_report_frequency)},
      {"maxPods", o.max_pods},
      {"podLogsDir", o.pod_logs_dir},
      {"containerRuntimeEndpoint", o.container_runtime_endpoint},
      {"kubeAPIQPS", static_cast<int32_t>(o.kube_api_qps)},  // int32 in v1beta1
      {"kubeAPIBurst", o.kube_api_burst},
      {"registerNode", o.register_node},
  };
  return nlohmann::json{{"kubeletconfig", c}}.dump();
}

}  // namespace

// Declared in the order they are built; destroyed in reverse, so nothing
// outlives what it borrows.
struct Agent::Parts {
  AgentOptions options;
  std::unique_ptr<cri::GrpcRuntime> grpc;  // when the deps give no runtime
  // The runtime's event streams on the same socket (--runtime-events), tried
  // in this order: the CRI's own (containerd >= 1.7, CRI-O), then
  // containerd's events service (containerd 1.6, whose CRI lacks it).
  std::unique_ptr<cri::CriEventSource> cri_events;
  std::unique_ptr<cri::containerd::ContainerdEventSource> containerd_events;
  metrics::Registry registry;
  std::unique_ptr<cri::InstrumentedRuntimeService> runtime_service;
  std::unique_ptr<cri::InstrumentedImageService> image_service;
  asio::thread_pool pool;
  asio::thread_pool probe_pool{kProbeThreads};
  // Cluster mode (--kubeconfig) only; before the Kubelet, which records events through it.
  std::unique_ptr<client::ApiClient> api_client;
  std::unique_ptr<events::ApiEventRecorder> recorder;
  std::unique_ptr<apiobjects::ApiObjectManager> objects;  // ConfigMaps and Secrets
  std::unique_ptr<token::TokenManager> tokens;            // service account tokens
  std::unique_ptr<apiobjects::ServiceStore> services;     // service variables
  std::unique_ptr<devicemanager::DeviceManager> devices;  // null: no device plugins
  std::unique_ptr<kubelet::Kubelet> kubelet;
  std::unique_ptr<stats::SummaryProvider> stats;     // the servers' /stats/summary
  std::unique_ptr<stats::CadvisorMetrics> cadvisor;  // their /metrics/cadvisor
  std::unique_ptr<config::PodConfig> pod_config;
  std::unique_ptr<config::FileSource> file_source;
  std::unique_ptr<config::HttpSource> http_source;
  std::unique_ptr<KubeletView> view;
  std::unique_ptr<server::Server> server;
  // The kubelet server (--port) and who may use it; the healthz port.
  std::unique_ptr<server::TokenAuthenticator> token_reviews;
  std::unique_ptr<server::Authorizer> authorizer;
  std::unique_ptr<server::SecureServer> secure_server;
  std::unique_ptr<server::Server> healthz_server;
  // Cluster mode only.
  std::unique_ptr<mirror::MirrorPodController> mirror_pods;
  std::unique_ptr<config::ApiSource> api_source;
  std::unique_ptr<status::ApiStatusSyncer> status_syncer;
  std::unique_ptr<nodestatus::NodeStatusManager> node_status;
  std::unique_ptr<nodestatus::LeaseController> lease;

  explicit Parts(const AgentOptions& o) : options(o), pool(o.pod_worker_threads) {}
};

absl::StatusOr<std::unique_ptr<Agent>> Agent::Create(const AgentOptions& options, AgentDeps deps) {
  if (!options.kubelet_cgroups.empty()) {
    // As the kubelet's --kubelet-cgroups: the agent runs in that cgroup. First,
    // so that what it allocates is charged there (cgroup v1 leaves earlier
    // pages with the old cgroup).
    if (absl::Status s = stats::MoveProcessToCgroup(getpid(), options.kubelet_cgroups); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("--kubelet-cgroups: ", s.message()));
    }
  }
  if (deps.manage_host_state) {
    // As the kubelet's setupDataDirs: the root dir on a shared mount, for
    // volumes mounted with Bidirectional propagation.
    std::error_code ec;
    std::filesystem::create_directories(options.root_dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--root-dir: cannot create ", options.root_dir, ": ", ec.message()));
    }
    // Only Bidirectional volume mounts need it: without it (no mount(2)
    // here) the rest runs, and those pods fail with the runtime's error.
    if (absl::Status s = volume::MakeRShared(options.root_dir); !s.ok()) {
      LOG(WARNING) << "--root-dir: " << s.message()
                   << "; volumes mounted with Bidirectional propagation will fail";
    }
  }
  auto parts = std::make_unique<Parts>(options);
  Parts& p = *parts;
  cri::RuntimeService* runtime = deps.runtime_service;
  cri::ImageService* images = deps.image_service;
  if (runtime == nullptr || images == nullptr) {
    absl::StatusOr<std::unique_ptr<cri::GrpcRuntime>> grpc =
        cri::GrpcRuntime::Connect(options.container_runtime_endpoint);
    if (!grpc.ok()) {
      return absl::Status(grpc.status().code(),
                          absl::StrCat("--container-runtime-endpoint: ", grpc.status().message()));
    }
    p.grpc = *std::move(grpc);
    runtime = p.grpc.get();
    images = p.grpc.get();
    if (options.runtime_events) {
      absl::StatusOr<std::unique_ptr<cri::CriEventSource>> cri_events =
          cri::CriEventSource::Connect(options.container_runtime_endpoint);
      if (!cri_events.ok()) return cri_events.status();
      p.cri_events = *std::move(cri_events);
      absl::StatusOr<std::unique_ptr<cri::containerd::ContainerdEventSource>> events =
          cri::containerd::ContainerdEventSource::Connect(options.container_runtime_endpoint);
      if (!events.ok()) return events.status();
      p.containerd_events = *std::move(events);
    }
  }
  metrics::RegisterProcessMetrics(&p.registry);
  p.runtime_service = std::make_unique<cri::InstrumentedRuntimeService>(runtime, &p.registry);
  p.image_service = std::make_unique<cri::InstrumentedImageService>(images, &p.registry);

  Clock* clock = deps.clock != nullptr ? deps.clock : RealClock::Get();
  const bool cluster_mode = !options.kubeconfig.empty() || deps.api_client != nullptr;
  client::ApiClient* api = deps.api_client;
  if (cluster_mode && api == nullptr) {
    absl::StatusOr<client::RestConfig> rest = client::LoadKubeconfig(options.kubeconfig);
    if (!rest.ok()) {
      return absl::Status(rest.status().code(),
                          absl::StrCat("--kubeconfig: ", rest.status().message()));
    }
    rest->qps = options.kube_api_qps;
    rest->burst = options.kube_api_burst;
    rest->user_agent =
        absl::StrCat("cubelet/", nodestatus::kKubeletVersion, " (", options.node_name, ")");
    absl::StatusOr<std::unique_ptr<client::CurlApiClient>> created =
        client::CurlApiClient::Create(*rest);
    if (!created.ok()) {
      return absl::Status(created.status().code(),
                          absl::StrCat("--kubeconfig: ", created.status().message()));
    }
    p.api_client = *std::move(created);
    api = p.api_client.get();
  }
  if (cluster_mode) {
    p.recorder = std::make_unique<events::ApiEventRecorder>(
        api, clock, events::ApiEventRecorderOptions{.host = options.node_name});
    p.objects = std::make_unique<apiobjects::ApiObjectManager>(api, clock);
    p.tokens = std::make_unique<token::TokenManager>(api, clock);
    p.services = std::make_unique<apiobjects::ServiceStore>(api, clock);
  }
  kubelet::KubeletOptions kubelet_options;
  kubelet_options.node_name = options.node_name;
  kubelet_options.host_ip = deps.host_ip.empty() ? DetectHostIp() : deps.host_ip;
  kubelet_options.cluster_domain = options.cluster_domain;
  if (cluster_mode && !options.node_ip.empty()) kubelet_options.host_ip = options.node_ip;
  lifecycle::NodeInfo node_info = lifecycle::LocalNodeInfo(options.node_name);
  for (const auto& [key, value] : options.node_labels) node_info.labels[key] = value;
  node_info.allocatable_pods = options.max_pods;
  node_info.allowed_unsafe_sysctls = options.allowed_unsafe_sysctls;
  Parts* parts_ptr = &p;
  kubelet_options.root_dir = options.root_dir;
  kubelet_options.pod_logs_dir = options.pod_logs_dir;
  kubelet_options.cgroup_root = options.cgroup_root;
  kubelet_options.sync_frequency = options.sync_frequency;
  kubelet_options.evented_relist_period = options.evented_relist_period;
  std::vector<cri::ContainerEventSource*> event_sources = deps.event_sources;
  if (p.cri_events != nullptr) event_sources.push_back(p.cri_events.get());
  if (p.containerd_events != nullptr) event_sources.push_back(p.containerd_events.get());
  kubelet_options.manage_host_state = deps.manage_host_state;
  kubelet_options.terminating_threads = kTerminatingThreads;
  if (deps.manage_host_state && !options.device_plugin_dir.empty()) {
    p.devices = std::make_unique<devicemanager::DeviceManager>(
        devicemanager::DeviceManager::Options{.plugin_dir = options.device_plugin_dir}, clock);
    if (absl::Status s = p.devices->Start(); !s.ok()) {
      // Pods without devices need none of it.
      LOG(WARNING) << "--device-plugin-dir: " << s.message() << "; running without device plugins";
      p.devices.reset();
    }
  }
  p.kubelet = std::make_unique<kubelet::Kubelet>(
      kubelet::KubeletDeps{.runtime_service = p.runtime_service.get(),
                           .image_service = p.image_service.get(),
                           .clock = clock,
                           .executor = p.pool.get_executor(),
                           .registry = &p.registry,
                           .probe_executor = p.probe_pool.get_executor(),
                           .node_info = node_info,
                           .recorder = p.recorder.get(),
                           .event_sources = event_sources,
                           .status_listener =
                               [parts_ptr](const api::Pod& pod) {
                                 // Set before Start(), read only after it.
                                 if (parts_ptr->status_syncer != nullptr) {
                                   parts_ptr->status_syncer->Touch(pod.metadata.uid);
                                 }
                               },
                           .device_manager = p.devices.get(),
                           .objects = p.objects.get(),
                           .tokens = p.tokens.get(),
                           .services = p.services.get()},
      kubelet_options);
  kubelet::Kubelet* kubelet = p.kubelet.get();

  p.pod_config = std::make_unique<config::PodConfig>(
      clock, [kubelet](const config::PodUpdate& update) { kubelet->OnPodUpdate(update); },
      [](const std::string& message) { LOG(ERROR) << message; });
  config::PodConfig* pod_config = p.pod_config.get();
  std::set<std::string> sources;
  auto merge = [pod_config, parts_ptr](const config::PodUpdate& update) {
    pod_config->Merge(update);
    // Set before Start(), read only after it.
    if (parts_ptr->mirror_pods != nullptr) parts_ptr->mirror_pods->Touch();
  };
  auto report = [](const std::string& message) { LOG(ERROR) << message; };
  if (!options.pod_manifest_path.empty()) {
    sources.insert(config::kFileSource);
    config::FileSourceOptions file_options;
    file_options.path = options.pod_manifest_path;
    file_options.node_name = options.node_name;
    file_options.file_check_frequency = absl::ToChronoMilliseconds(options.file_check_frequency);
    p.file_source = std::make_unique<config::FileSource>(file_options, merge, report);
    const config::FileSource* fs = p.file_source.get();
    // A stuck file source fails /healthz: no manifest change would apply.
    kubelet->runtime_state().AddHealthCheck("file source", [fs] { return fs->Healthy(); });
    p.registry.NewCounterFunc(
        "cubelet_manifest_errors_reported_total",
        "Manifest errors reported (logged); a bad file's errors are "
        "reported once per version of the file.",
        {}, [fs] {
          return metrics::Registry::Samples{{{}, static_cast<double>(fs->errors_reported())}};
        });
    p.registry.NewGaugeFunc(
        "cubelet_manifest_bad_files", "Manifest files with errors at the last scan.", {}, [fs] {
          return metrics::Registry::Samples{{{}, static_cast<double>(fs->bad_files())}};
        });
  }
  if (!options.manifest_url.empty()) {
    sources.insert(config::kHttpSource);
    config::HttpSourceOptions http_options;
    http_options.url = options.manifest_url;
    http_options.node_name = options.node_name;
    http_options.period = absl::ToChronoMilliseconds(options.http_check_frequency);
    p.http_source = std::make_unique<config::HttpSource>(http_options, merge, report);
  }
  if (cluster_mode) {
    sources.insert(config::kApiSource);
    p.mirror_pods = std::make_unique<mirror::MirrorPodController>(
        api, clock, mirror::MirrorPodOptions{.node_name = options.node_name},
        mirror::MirrorPodDeps{
            .list_pods = [kubelet] { return kubelet->GetDesiredPods(); },
            .static_pod_terminating =
                [kubelet](const std::string& full_name) {
                  return kubelet->pod_workers().IsPodForMirrorPodTerminatingByFullName(full_name);
                },
            .node_uid =
                [parts_ptr] {
                  return parts_ptr->node_status == nullptr ? std::string()
                                                           : parts_ptr->node_status->NodeUid();
                },
        });
    mirror::MirrorPodController* mirror_pods = p.mirror_pods.get();
    p.api_source =
        std::make_unique<config::ApiSource>(api, clock, options.node_name, merge, report);
    p.api_source->SetMirrorHandler([mirror_pods](const std::vector<api::PodPtr>& mirrors) {
      mirror_pods->SetMirrorPods(mirrors);
    });
    p.status_syncer = std::make_unique<status::ApiStatusSyncer>(
        api, &kubelet->status_manager(), clock, [kubelet] { return kubelet->GetDesiredPods(); },
        [kubelet](const std::string& uid) { return kubelet->GetDesiredPod(uid); },
        status::ApiStatusSyncerOptions{.host_ip = kubelet_options.host_ip,
                                       .mirror_uid = [mirror_pods](const api::Pod& pod) {
                                         return mirror_pods->MirrorUid(pod);
                                       }});
    status::ApiStatusSyncer* syncer = p.status_syncer.get();
    p.registry.NewCounterFunc(
        "cubelet_api_pod_writes_total",
        "Pod status PATCHes and pod DELETEs sent to the API server.", {}, [syncer] {
          return metrics::Registry::Samples{{{}, static_cast<double>(syncer->Writes())}};
        });
    p.registry.NewCounterFunc(
        "cubelet_api_mirror_pod_writes_total",
        "Mirror pod creations and deletions sent to the API server.", {}, [mirror_pods] {
          return metrics::Registry::Samples{{{}, static_cast<double>(mirror_pods->Writes())}};
        });
    nodestatus::NodeStatusOptions node_options;
    node_options.config.name = options.node_name;
    node_options.config.node_ip = kubelet_options.host_ip;
    node_options.config.labels = options.node_labels;
    node_options.config.max_pods = options.max_pods;
    node_options.config.kubelet_port = options.port;
    node_options.machine = nodestatus::ReadMachineInfo(options.root_dir);
    node_options.register_node = options.register_node;
    node_options.update_frequency = options.node_status_update_frequency;
    node_options.report_frequency = options.node_status_report_frequency;
    node_options.recorder = p.recorder.get();
    cri::RuntimeService* runtime_service = p.runtime_service.get();
    auto version = std::make_shared<std::optional<cri::VersionInfo>>();
    p.node_status = std::make_unique<nodestatus::NodeStatusManager>(
        api, clock, node_options, [kubelet, runtime_service, version, devices = p.devices.get()] {
          nodestatus::NodeInputs inputs;
          // Asked until it answers once: the runtime may start after us.
          if (!version->has_value()) {
            if (absl::StatusOr<cri::VersionInfo> v = runtime_service->GetVersion(); v.ok()) {
              *version = *v;
            }
          }
          if (version->has_value()) {
            inputs.runtime_name = (*version)->runtime_name;
            inputs.runtime_version = (*version)->runtime_version;
          }
          if (devices != nullptr) {
            for (const auto& [name, c] : devices->Resources()) {
              inputs.extended_resources[name] = {c.capacity, c.allocatable};
            }
          }
          inputs.readiness = kubelet->Healthy();
          if (inputs.readiness.ok()) inputs.readiness = kubelet->runtime_state().NetworkError();
          return inputs;
        });
    nodestatus::NodeStatusManager* node_status = p.node_status.get();
    p.lease = std::make_unique<nodestatus::LeaseController>(
        api, clock, nodestatus::LeaseOptions{.node_name = options.node_name},
        [node_status] { return node_status->NodeUid(); });
  }
  kubelet->SetSourcesReady([pod_config, sources] { return pod_config->SeenAllSources(sources); });

  p.view = std::make_unique<KubeletView>(kubelet);
  stats::SummaryOptions stats_options;
  stats_options.node_name = options.node_name;
  stats_options.root_dir = options.root_dir;
  stats_options.pod_logs_dir = options.pod_logs_dir;
  stats_options.cgroup_root = options.cgroup_root;
  stats_options.kubelet_cgroups = options.kubelet_cgroups;
  stats_options.runtime_cgroups = options.runtime_cgroups;
  stats_options.system_cgroups = options.system_cgroups;
  stats_options.memory_capacity =
      static_cast<uint64_t>(nodestatus::ReadMachineInfo(options.root_dir).memory_capacity);
  stats_options.agent_start = clock->Now();
  p.stats = std::make_unique<stats::SummaryProvider>(
      stats_options, [kubelet] { return kubelet->GetPods(); }, p.runtime_service.get(),
      p.image_service.get(), clock);
  auto summary = [provider = p.stats.get()]() -> absl::StatusOr<std::string> {
    absl::StatusOr<nlohmann::json> j = provider->Get();
    if (!j.ok()) return j.status();
    return j->dump();
  };
  auto resource_metrics = [provider = p.stats.get()] {
    return stats::RenderResourceMetrics(provider->Get());
  };
  p.cadvisor = std::make_unique<stats::CadvisorMetrics>(
      stats_options, [kubelet] { return kubelet->GetPods(); }, p.runtime_service.get(),
      p.image_service.get(), clock);
  auto cadvisor_metrics = [cadvisor = p.cadvisor.get()] { return cadvisor->Render(); };
  if (options.read_only_port != 0) {
    server::ServerOptions server_options;
    server_options.address = options.address;
    server_options.port = options.read_only_port;
    server_options.pod_logs_dir = options.pod_logs_dir;
    server_options.registry = &p.registry;
    server_options.stats_summary = summary;
    server_options.resource_metrics = resource_metrics;
    server_options.cadvisor_metrics = cadvisor_metrics;
    p.server = std::make_unique<server::Server>(p.view.get(), server_options);
  }
  std::string authorization_mode = options.authorization_mode;
  if (authorization_mode.empty()) authorization_mode = cluster_mode ? "Webhook" : "AlwaysAllow";
  if (options.port != 0) {
    if (authorization_mode == "Webhook") {
      if (!cluster_mode) {
        return absl::InvalidArgumentError(
            "--authorization-mode=Webhook needs an API server (--kubeconfig)");
      }
      p.authorizer = std::make_unique<server::SubjectAccessReviewAuthorizer>(api, clock);
    } else {
      p.authorizer = std::make_unique<server::AlwaysAllowAuthorizer>();
    }
    if (cluster_mode && options.authentication_token_webhook) {
      p.token_reviews = std::make_unique<server::TokenReviewAuthenticator>(api, clock);
    }
    server::SecureServerOptions secure;
    secure.address = options.secure_address;
    secure.port = options.port;
    secure.tls = server::TlsOptions{.cert_file = options.tls_cert_file,
                                    .key_file = options.tls_private_key_file,
                                    .cert_dir = options.cert_dir,
                                    .hostnames = {options.node_name, kubelet_options.host_ip},
                                    .client_ca_file = options.client_ca_file};
    secure.anonymous = options.anonymous_auth;
    secure.tokens = p.token_reviews.get();
    secure.authorizer = p.authorizer.get();
    secure.node_name = options.node_name;
    secure.plain.pod_logs_dir = options.pod_logs_dir;
    secure.plain.registry = &p.registry;
    secure.plain.stats_summary = summary;
    secure.plain.resource_metrics = resource_metrics;
    secure.plain.cadvisor_metrics = cadvisor_metrics;
    secure.plain.configz = Configz(options, authorization_mode);
    p.secure_server =
        std::make_unique<server::SecureServer>(p.view.get(), p.view.get(), std::move(secure));
  }
  if (options.healthz_port != 0) {
    p.healthz_server = std::make_unique<server::Server>(
        p.view.get(), server::ServerOptions{.address = options.healthz_bind_address,
                                            .port = options.healthz_port,
                                            .healthz_only = true});
  }
  return std::unique_ptr<Agent>(new Agent(std::move(parts)));
}

Agent::Agent(std::unique_ptr<Parts> parts)
    : parts_(std::move(parts)), kubelet_(parts_->kubelet.get()) {}

Agent::~Agent() { Stop(); }

absl::Status Agent::Start() {
  Parts& p = *parts_;
  if (p.server != nullptr) {
    if (absl::Status s = p.server->Start(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("read-only API: ", s.message()));
    }
    LOG(INFO) << "Read-only API listening on http://" << p.options.address << ":"
              << p.server->port();
  }
  if (p.secure_server != nullptr) {
    if (absl::Status s = p.secure_server->Start(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("kubelet server (--port): ", s.message()));
    }
    LOG(INFO) << "Kubelet server listening on https://" << p.options.secure_address << ":"
              << p.secure_server->port();
  }
  if (p.healthz_server != nullptr) {
    if (absl::Status s = p.healthz_server->Start(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("healthz (--healthz-port): ", s.message()));
    }
  }
  if (p.services) p.services->Start();
  p.kubelet->Start();
  if (p.recorder) p.recorder->Start();
  if (p.node_status) p.node_status->Start();
  if (p.lease) p.lease->Start();
  if (p.status_syncer) p.status_syncer->Start();
  if (p.mirror_pods) p.mirror_pods->Start();
  if (p.api_source) p.api_source->Start();
  if (p.file_source) p.file_source->Start();
  if (p.http_source) p.http_source->Start();
  return absl::OkStatus();
}

void Agent::Stop() {
  if (stopped_) return;
  stopped_ = true;
  Parts& p = *parts_;
  if (p.http_source) p.http_source->Stop();
  if (p.file_source) p.file_source->Stop();
  if (p.api_source) p.api_source->Stop();
  if (p.mirror_pods) p.mirror_pods->Stop();
  if (p.status_syncer) p.status_syncer->Stop();
  if (p.lease) p.lease->Stop();
  if (p.node_status) p.node_status->Stop();
  if (p.server) p.server->Stop();
  if (p.secure_server) p.secure_server->Stop();
  if (p.healthz_server) p.healthz_server->Stop();
  p.kubelet->Stop();
  if (p.services) p.services->Stop();
  if (p.recorder) p.recorder->Stop();
  p.pool.stop();
  p.pool.join();
  p.probe_pool.stop();
  p.probe_pool.join();
}

int Agent::server_port() const { return parts_->server == nullptr ? 0 : parts_->server->port(); }
int Agent::secure_port() const {
  return parts_->secure_server == nullptr ? 0 : parts_->secure_server->port();
}

std::string DetectHostIp() {
  std::string default_iface;
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);  // header
  while (std::getline(routes, line)) {
    std::istringstream fields(line);
    std::string iface, destination;
    fields >> iface >> destination;
    if (destination == "00000000") {
      default_iface = iface;
      break;
    }
  }
  std::string first;
  ifaddrs* addrs = nullptr;
  if (::getifaddrs(&addrs) != 0) return "";
  for (ifaddrs* a = addrs; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof(buf));
    if (a->ifa_name == default_iface) {
      first = buf;
      break;
    }
    if (first.empty()) first = buf;
  }
  ::freeifaddrs(addrs);
  return first;
}

}  // namespace cubelet::app
