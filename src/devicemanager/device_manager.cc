#include "devicemanager/device_manager.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/quantity.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "util/log.h"

namespace cubelet::devicemanager {
namespace {

namespace pb = ::v1beta1;
namespace fs = std::filesystem;

constexpr char kHealthy[] = "Healthy";

// upstream v1helper.IsExtendedResourceName: a qualified name outside the
// kubernetes.io domain, not a quota "requests." name.
bool IsExtendedResourceName(const std::string& name) {
  const size_t slash = name.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == name.size()) return false;
  if (name.find('/', slash + 1) != std::string::npos) return false;
  const std::string domain = name.substr(0, slash);
  if (domain == "kubernetes.io" || absl::EndsWith(domain, ".kubernetes.io")) return false;
  return !absl::StartsWith(name, "requests.");
}

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout);
}

}  // namespace

// One registered plugin: its channel, options and the context of its watch
// (cancelled to end it).
struct DeviceManager::Endpoint {
  std::string resource;
  std::string socket;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::DevicePlugin::Stub> stub;
  pb::DevicePluginOptions options;
  grpc::ClientContext watch;
};

class DeviceManager::RegistrationService final : public pb::Registration::Service {
 public:
  explicit RegistrationService(DeviceManager* manager) : manager_(manager) {}

  grpc::Status Register(grpc::ServerContext*, const pb::RegisterRequest* request,
                        pb::Empty*) override {
    absl::Status s =
        manager_->Register(request->version(), request->endpoint(), request->resource_name());
    if (s.ok()) return grpc::Status::OK;
    return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
  }

 private:
  DeviceManager* const manager_;
};

DeviceManager::DeviceManager(Options options, Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

DeviceManager::~DeviceManager() { Stop(); }

absl::Status DeviceManager::Start() {
  std::error_code ec;
  fs::create_directories(options_.plugin_dir, ec);
  const std::string socket = absl::StrCat(options_.plugin_dir, "/", kKubeletSocket);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("device plugins: cannot create ", options_.plugin_dir, ": ", ec.message()));
  }
  // A socket file left by an earlier agent would make the bind fail.
  ::unlink(socket.c_str());
  service_ = std::make_unique<RegistrationService>(this);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("unix://", socket), grpc::InsecureServerCredentials());
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::InternalError(absl::StrCat("device plugins: cannot serve on ", socket));
  }
  LOG(INFO) << "Device plugin registration service listening on " << socket;
  return absl::OkStatus();
}

void DeviceManager::Stop() {
  std::vector<std::thread> watchers;
  {
    MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& [name, r] : resources_) {
      if (r.endpoint) r.endpoint->watch.TryCancel();
    }
    watchers.swap(watchers_);
  }
  if (server_) server_->Shutdown(Deadline(absl::Seconds(1)));
  for (std::thread& t : watchers) t.join();
}

absl::Status DeviceManager::Register(const std::string& version, const std::string& endpoint,
                                     const std::string& resource_name) {
  LOG(INFO) << "Device plugin registration: resource " << resource_name << ", endpoint " << endpoint
            << ", version " << version;
  if (version != kVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid version \"", version, "\" of the device plugin API: cubelet serves ", kVersion));
  }
  if (!IsExtendedResourceName(resource_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ResourceName \"", resource_name, "\" is invalid"));
  }
  if (endpoint.empty() || absl::StrContains(endpoint, '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid endpoint \"", endpoint, "\": a socket name in the plugin directory"));
  }
  auto ep = std::make_shared<Endpoint>();
  ep->resource = resource_name;
  ep->socket = absl::StrCat(options_.plugin_dir, "/", endpoint);
  ep->channel =
      grpc::CreateChannel(absl::StrCat("unix://", ep->socket), grpc::InsecureChannelCredentials());
  ep->stub = pb::DevicePlugin::NewStub(ep->channel);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(options_.rpc_timeout));
    pb::Empty empty;
    grpc::Status s = ep->stub->GetDevicePluginOptions(&ctx, empty, &ep->options);
    if (!s.ok()) {
      LOG(WARNING) << "Device plugin for " << resource_name << " at " << ep->socket
                   << ": GetDevicePluginOptions: " << s.error_message();
      return absl::UnknownError(
          absl::StrCat("failed to get device plugin options: ", s.error_message()));
    }
  }
  MutexLock l(&mu_);
  if (stopped_) return absl::UnavailableError("the device manager is stopping");
  Resource& r = resources_[resource_name];
  if (r.endpoint) r.endpoint->watch.TryCancel();  // replaced by the new registration
  r.endpoint = ep;
  r.stopped_at.reset();
  watchers_.emplace_back([this, ep] { Watch(ep); });
  return absl::OkStatus();
}

void DeviceManager::Watch(std::shared_ptr<Endpoint> ep) {
  pb::Empty empty;
  std::unique_ptr<grpc::ClientReader<pb::ListAndWatchResponse>> reader =
      ep->stub->ListAndWatch(&ep->watch, empty);
  pb::ListAndWatchResponse response;
  while (reader->Read(&response)) {
    MutexLock l(&mu_);
    auto it = resources_.find(ep->resource);
    if (it == resources_.end() || it->second.endpoint != ep) {
      ep->watch.TryCancel();
      break;
    }
    it->second.devices.clear();
    for (const pb::Device& d : response.devices())
      it->second.devices[d.id()] = d.health() == kHealthy;
    VLOG(1) << "Device plugin for " << ep->resource << ": " << response.devices_size()
            << " devices";
  }
  const grpc::Status s = reader->Finish();
  MutexLock l(&mu_);
  auto it = resources_.find(ep->resource);
  if (it == resources_.end() || it->second.endpoint != ep) return;
  // No retry, as upstream: the plugin registers again when it comes back.
  LOG(WARNING) << "Device plugin for " << ep->resource << " at " << ep->socket
               << " stopped (ListAndWatch: " << (s.ok() ? "ended" : s.error_message())
               << "); its devices are unhealthy";
  for (auto& [id, healthy] : it->second.devices) healthy = false;
  it->second.stopped_at = clock_->Now();
}

void DeviceManager::ExpireLocked(absl::Time now) {
  for (auto& [name, r] : resources_) {
    if (r.stopped_at && now - *r.stopped_at >= options_.stop_grace_period && !r.devices.empty()) {
      LOG(INFO) << "Device plugin for " << name << " gone for "
                << absl::FormatDuration(options_.stop_grace_period) << ": its devices are removed";
      r.devices.clear();
    }
  }
}

std::map<std::string, ResourceCounts> DeviceManager::Resources() {
  MutexLock l(&mu_);
  ExpireLocked(clock_->Now());
  std::map<std::string, ResourceCounts> out;
  for (const auto& [name, r] : resources_) {
    ResourceCounts& c = out[name];
    c.capacity = static_cast<int64_t>(r.devices.size());
    c.allocatable =
        std::count_if(r.devices.begin(), r.devices.end(), [](const auto& d) { return d.second; });
  }
  return out;
}

bool DeviceManager::Manages(const std::string& resource) {
  MutexLock l(&mu_);
  return resources_.contains(resource);
}

absl::StatusOr<DeviceRunOptions> DeviceManager::AllocateFromPlugin(
    const std::shared_ptr<Endpoint>& ep, const std::vector<std::string>& ids) {
  pb::AllocateRequest request;
  pb::ContainerAllocateRequest* c = request.add_container_requests();
  for (const std::string& id : ids) c->add_devices_ids(id);
  pb::AllocateResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline(options_.rpc_timeout));
  grpc::Status s = ep->stub->Allocate(&ctx, request, &response);
  if (!s.ok()) {
    return absl::UnknownError(
        absl::StrCat("device plugin for ", ep->resource, ": Allocate: ", s.error_message()));
  }
  DeviceRunOptions out;
  if (response.container_responses_size() == 0) return out;
  const pb::ContainerAllocateResponse& r = response.container_responses(0);
  std::map<std::string, std::string> envs(r.envs().begin(), r.envs().end());
  for (const auto& [k, v] : envs) out.envs.push_back(cri::KeyValue{.key = k, .value = v});
  for (const pb::Mount& m : r.mounts()) {
    out.mounts.push_back(cri::Mount{.container_path = m.container_path(),
                                    .host_path = m.host_path(),
                                    .readonly = m.read_only()});
  }
  for (const pb::DeviceSpec& d : r.devices()) {
    out.devices.push_back(cri::Device{.container_path = d.container_path(),
                                      .host_path = d.host_path(),
                                      .permissions = d.permissions()});
  }
  out.annotations.insert(r.annotations().begin(), r.annotations().end());
  return out;
}

absl::Status DeviceManager::Allocate(const api::Pod& pod, const std::set<std::string>& active) {
  const std::string& uid = pod.metadata.uid;
  {
    // Pods that are gone hold nothing (upstream UpdateAllocatedDevices).
    MutexLock l(&mu_);
    for (auto it = allocated_.begin(); it != allocated_.end();) {
      if (it->first != uid && !active.contains(it->first)) {
        run_options_.erase(it->first);
        it = allocated_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::vector<const api::Container*> containers;
  for (const api::Container& c : pod.spec.init_containers) containers.push_back(&c);
  for (const api::Container& c : pod.spec.containers) containers.push_back(&c);
  for (const api::Container* c : containers) {
    // Extended resources are requested through limits (requests equal them).
    std::map<std::string, std::string> wanted = c->resources.requests;
    for (const auto& [name, q] : c->resources.limits) wanted[name] = q;
    for (const auto& [name, quantity] : wanted) {
      absl::StatusOr<int64_t> n = api::ParseValue(quantity);
      if (!n.ok() || *n <= 0) continue;
      std::shared_ptr<Endpoint> ep;
      std::vector<std::string> ids;
      {
        MutexLock l(&mu_);
        auto r = resources_.find(name);
        if (r == resources_.end()) continue;
        if (auto& held = allocated_[uid][c->name]; held.contains(name)) continue;  // admitted again
        std::set<std::string> in_use;
        for (const auto& [pod_uid, by_container] : allocated_) {
          for (const auto& [container, by_resource] : by_container) {
            if (auto it = by_resource.find(name); it != by_resource.end()) {
              in_use.insert(it->second.begin(), it->second.end());
            }
          }
        }
        std::vector<std::string> free;
        for (const auto& [id, healthy] : r->second.devices) {
          if (healthy && !in_use.contains(id)) free.push_back(id);
        }
        if (static_cast<int64_t>(free.size()) < *n) {
          return absl::ResourceExhaustedError(
              absl::StrCat("requested number of devices unavailable for ", name,
                           ". Requested: ", *n, ", Available: ", free.size()));
        }
        if (!r->second.endpoint || r->second.stopped_at) {
          return absl::UnavailableError(
              absl::StrCat("endpoint not found in cache for a registered resource: ", name));
        }
        ep = r->second.endpoint;
        ids.assign(free.begin(), free.begin() + *n);
        allocated_[uid][c->name][name] = ids;  // held while the plugin prepares them
      }
      absl::StatusOr<DeviceRunOptions> options = AllocateFromPlugin(ep, ids);
      MutexLock l(&mu_);
      if (!options.ok()) {
        allocated_[uid][c->name].erase(name);
        return options.status();
      }
      DeviceRunOptions& into = run_options_[uid][c->name];
      into.envs.insert(into.envs.end(), options->envs.begin(), options->envs.end());
      into.mounts.insert(into.mounts.end(), options->mounts.begin(), options->mounts.end());
      into.devices.insert(into.devices.end(), options->devices.begin(), options->devices.end());
      into.annotations.insert(options->annotations.begin(), options->annotations.end());
    }
  }
  return absl::OkStatus();
}

DeviceRunOptions DeviceManager::RunOptions(const std::string& pod_uid,
                                           const std::string& container) {
  MutexLock l(&mu_);
  auto pod = run_options_.find(pod_uid);
  if (pod == run_options_.end()) return {};
  auto c = pod->second.find(container);
  return c == pod->second.end() ? DeviceRunOptions{} : c->second;
}

}  // namespace cubelet::devicemanager
