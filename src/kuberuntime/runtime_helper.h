// RuntimeHelper: what the runtime manager asks of the kubelet about a pod's
// host state (upstream kubecontainer.RuntimeHelper): its directory and its
// volumes. The kubelet owns the volume::VolumeManager and hands the runtime
// manager a helper over it, so volumes live on the kubelet's side (its
// terminated-pod cleanup and orphaned pod-dir housekeeping use the same
// manager).
//
// Thread-safety: implementations must be callable from any thread.
#ifndef CUBELET_KUBERUNTIME_RUNTIME_HELPER_H_
#define CUBELET_KUBERUNTIME_RUNTIME_HELPER_H_

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "api/fieldpath.h"
#include "api/pod.h"
#include "cri/types.h"
#include "volume/volume_manager.h"

namespace cubelet::kuberuntime {

class RuntimeHelper {
 public:
  virtual ~RuntimeHelper() = default;

  // <root>/pods/<uid>: the pod's directory on the host (upstream GetPodDir).
  virtual std::string PodDir(const std::string& uid) const = 0;
  // Where the pod's emptyDir volume `name` lives on the host.
  virtual std::string EmptyDirPath(const std::string& uid, const std::string& name) const = 0;
  // Where the pod's volume `name` of the plugin that keeps its volumes in
  // `plugin_dir` (volume::kDownwardAPIPluginDir, ...) lives on the host.
  virtual std::string PluginVolumePath(const std::string& uid, std::string_view plugin_dir,
                                       const std::string& name) const = 0;

  // Makes every volume of the pod ready to mount before a container start
  // (upstream WaitForAttachAndMount); the error names the volume and path.
  // `node` fills in missing limits in downwardAPI resourceFieldRefs.
  virtual absl::Status PrepareVolumes(const api::Pod& pod, const api::NodeAllocatable& node) = 0;
  // Unmounts the pod's volumes once no container uses them.
  virtual absl::Status TearDownVolumes(const std::string& uid) = 0;
  // Adds what the devices allocated to the container bring it (upstream
  // DeviceRunContainerOptions): environment before the container's own,
  // mounts, device nodes, annotations. Nothing by default.
  virtual void AddDeviceRunOptions(const api::Pod& pod, const api::Container& container,
                                   cri::ContainerConfig* config) const {}
};

// A RuntimeHelper over a volume::VolumeManager (not owned; must outlive it)
// and, when given, a function adding devices' run options.
class VolumeRuntimeHelper final : public RuntimeHelper {
 public:
  using DeviceRunOptionsFunc =
      std::function<void(const api::Pod&, const api::Container&, cri::ContainerConfig*)>;
  explicit VolumeRuntimeHelper(volume::VolumeManager* volumes, DeviceRunOptionsFunc devices = {})
      : volumes_(volumes), devices_(std::move(devices)) {}

  std::string PodDir(const std::string& uid) const override { return volumes_->PodDir(uid); }
  std::string EmptyDirPath(const std::string& uid, const std::string& name) const override {
    return volumes_->EmptyDirPath(uid, name);
  }
  std::string PluginVolumePath(const std::string& uid, std::string_view plugin_dir,
                               const std::string& name) const override {
    return volumes_->PluginVolumePath(uid, plugin_dir, name);
  }
  absl::Status PrepareVolumes(const api::Pod& pod, const api::NodeAllocatable& node) override {
    return volumes_->SetUpPodVolumes(pod, node);
  }
  absl::Status TearDownVolumes(const std::string& uid) override {
    return volumes_->TearDownPodVolumes(uid);
  }
  void AddDeviceRunOptions(const api::Pod& pod, const api::Container& container,
                           cri::ContainerConfig* config) const override {
    if (devices_) devices_(pod, container, config);
  }

 private:
  volume::VolumeManager* const volumes_;
  const DeviceRunOptionsFunc devices_;
};

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_RUNTIME_HELPER_H_
