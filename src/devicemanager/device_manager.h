// DeviceManager: the kubelet's device plugin manager (upstream
// pkg/kubelet/cm/devicemanager). Plugins register over the Registration
// gRPC service the manager serves on <plugin dir>/kubelet.sock; the manager
// then dials the plugin's own socket in that directory, asks its options and
// watches its devices (ListAndWatch) for as long as the stream lasts:
//   - a resource's capacity is its devices, its allocatable the healthy ones
//     (the node status reports both);
//   - when the stream ends (the plugin failed or went away) every device
//     turns unhealthy and ListAndWatch is not called again; after the stop
//     grace period (5 min, upstream endpointStopGracePeriod) the resource's
//     devices are dropped and it reports 0, until a plugin registers again;
//   - a registration whose GetDevicePluginOptions fails is refused ("failed
//     to get device plugin options: ..."), and its resource never appears.
// At admission Allocate picks healthy devices not held by an active pod for
// each container that requests the resource and asks the plugin to prepare
// them; the plugin's answer (environment, mounts, device nodes,
// annotations) is what DeviceRunOptions gives the container when it is made.
// Allocations live in memory: a restarted agent allocates again when it
// admits its pods (upstream keeps a checkpoint).
//
// Ownership: owns its gRPC server, the plugins' channels and one watcher
// thread per registered plugin; borrows the clock.
// Thread-safety: every method may be called from any thread; Register runs
// on the gRPC server's threads.
#ifndef CUBELET_DEVICEMANAGER_DEVICE_MANAGER_H_
#define CUBELET_DEVICEMANAGER_DEVICE_MANAGER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/pod.h"
#include "cri/types.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace grpc {
class Server;
}

namespace cubelet::devicemanager {

// Where plugins and the agent meet: upstream hard-codes this path, and
// plugins in the wild dial it.
inline constexpr char kDefaultPluginDir[] = "/var/lib/kubelet/device-plugins";
inline constexpr char kKubeletSocket[] = "kubelet.sock";
inline constexpr char kVersion[] = "v1beta1";

// What a container gets from the plugins of the devices it was allocated
// (upstream DeviceRunContainerOptions).
struct DeviceRunOptions {
  std::vector<cri::KeyValue> envs;
  std::vector<cri::Mount> mounts;
  std::vector<cri::Device> devices;
  std::map<std::string, std::string> annotations;
};

struct ResourceCounts {
  int64_t capacity = 0;     // every device the plugin lists
  int64_t allocatable = 0;  // the healthy ones

  bool operator==(const ResourceCounts&) const = default;
};

class DeviceManager {
 public:
  struct Options {
    std::string plugin_dir = kDefaultPluginDir;
    absl::Duration stop_grace_period = absl::Minutes(5);
    absl::Duration rpc_timeout = absl::Seconds(10);
  };

  DeviceManager(Options options, Clock* clock);
  ~DeviceManager();  // Stop()s
  DeviceManager(const DeviceManager&) = delete;
  DeviceManager& operator=(const DeviceManager&) = delete;

  // Serves the Registration service on <plugin dir>/kubelet.sock (made, and
  // an old socket file replaced). The error names the socket.
  absl::Status Start();
  // Stops serving and every plugin's watch. Idempotent.
  void Stop();

  // The registration of one plugin (the gRPC handler's work).
  absl::Status Register(const std::string& version, const std::string& endpoint,
                        const std::string& resource_name);

  // Every resource a plugin registered, by name, as of now.
  std::map<std::string, ResourceCounts> Resources();

  // Whether `resource` is served by a plugin (registered, even if stopped).
  bool Manages(const std::string& resource);

  // Allocates the devices every container of `pod` requests (limits of
  // resources a plugin registered), as upstream's admission does; pods
  // outside `active_pods` (uids) hold none any more. The error says which
  // resource fell short ("requested number of devices unavailable for ...").
  absl::Status Allocate(const api::Pod& pod, const std::set<std::string>& active_pods);

  // What the allocation of `container` of pod `pod_uid` brings the container.
  DeviceRunOptions RunOptions(const std::string& pod_uid, const std::string& container);

 private:
  struct Endpoint;
  struct Resource {
    std::map<std::string, bool> devices;  // id -> healthy
    std::shared_ptr<Endpoint> endpoint;
    std::optional<absl::Time> stopped_at;  // the watch ended
  };
  class RegistrationService;

  void Watch(std::shared_ptr<Endpoint> endpoint);
  absl::StatusOr<DeviceRunOptions> AllocateFromPlugin(const std::shared_ptr<Endpoint>& endpoint,
                                                      const std::vector<std::string>& ids);
  void ExpireLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  Clock* const clock_;
  std::unique_ptr<RegistrationService> service_;
  std::unique_ptr<grpc::Server> server_;

  Mutex mu_;
  std::map<std::string, Resource> resources_ ABSL_GUARDED_BY(mu_);
  // pod uid -> container -> resource -> device ids
  std::map<std::string, std::map<std::string, std::map<std::string, std::vector<std::string>>>>
      allocated_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, DeviceRunOptions>> run_options_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> watchers_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cubelet::devicemanager

#endif  // CUBELET_DEVICEMANAGER_DEVICE_MANAGER_H_
