// VolumeManager: sets up and tears down a pod's volumes on the host (the
// kubelet's volumemanager plus the emptyDir and hostPath plugins, for the two
// volume kinds cubelet supports).
//
//   emptyDir  <root>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>, mode
//             0777; medium Memory mounts a tmpfs there (size= TmpfsSize)
//             before the first container starts.
//   hostPath  the type check (host_path.h): DirectoryOrCreate/FileOrCreate
//             create, the others must already match.
//   downwardAPI <root>/pods/<uid>/volumes/kubernetes.io~downward-api/<name>:
//             the items' fieldRef/resourceFieldRef values, published with the
//             AtomicWriter (re-published when a value changes), mode
//             defaultMode 0644 unless the item sets one.
//   configMap <root>/pods/<uid>/volumes/kubernetes.io~configmap/<name>:
//             the ConfigMap's keys (data and binaryData; or only the items,
//             each at its path) through the AtomicWriter, from the
//             ObjectManager, so an edited ConfigMap is re-published in place
//             by the next SetUpPodVolumes. A missing object or key is an
//             error unless `optional` (then an empty volume / the key left
//             out), as upstream's configmap.MakePayload.
//   secret    the same under kubernetes.io~secret/<name>, on a tmpfs mounted
//             there first (secrets never touch the node's disk).
// With securityContext.fsGroup, emptyDir and downwardAPI volumes belong to
// that group with the set-group-ID bit on directories (SetVolumeOwnership).
//
// Teardown unmounts the pod's tmpfs emptyDirs and secret volumes (only tmpfs
// mounted directly at <root>/pods/<uid>/volumes/<plugin>/<name>), so the pod
// directory can go once the pod is gone.
//
// Ownership: the Mounter and the ObjectManager are not owned and must outlive
// the manager. Without an ObjectManager, configMap and secret volumes fail
// to set up (standalone mode refuses them when it reads the manifest).
// Thread-safety: all methods may be called concurrently for different pods;
// calls for one pod must be serialised (the pod workers do that).
#ifndef CUBELET_VOLUME_VOLUME_MANAGER_H_
#define CUBELET_VOLUME_VOLUME_MANAGER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/fieldpath.h"
#include "api/pod.h"
#include "apiobjects/object_manager.h"
#include "token/token_getter.h"
#include "volume/atomic_writer.h"
#include "volume/mounter.h"

namespace cubelet::volume {

inline constexpr char kEmptyDirPluginDir[] = "kubernetes.io~empty-dir";
inline constexpr char kMediumMemory[] = "Memory";
inline constexpr char kDownwardAPIPluginDir[] = "kubernetes.io~downward-api";
inline constexpr char kConfigMapPluginDir[] = "kubernetes.io~configmap";
inline constexpr char kSecretPluginDir[] = "kubernetes.io~secret";
inline constexpr char kProjectedPluginDir[] = "kubernetes.io~projected";

// The files of a configMap / secret volume (upstream configmap.MakePayload,
// secret.MakePayload): every key without `items`, else each item's key at its
// path; `optional` leaves missing keys out instead of failing.
absl::StatusOr<Payload> ConfigMapPayload(const api::ConfigMapVolumeSource& source,
                                         const apiobjects::ConfigMap& config_map);
absl::StatusOr<Payload> SecretPayload(const api::SecretVolumeSource& source,
                                      const apiobjects::Secret& secret);
// The files of downwardAPI items (upstream downwardapi.CollectData); `node`
// fills in missing limits of resourceFieldRefs.
absl::StatusOr<Payload> DownwardAPIPayload(const api::Pod& pod,
                                           const std::vector<api::DownwardAPIVolumeFile>& items,
                                           mode_t default_mode, const api::NodeAllocatable& node);

// The pod's memory limit as its cgroup gets it (ResourceConfigForPod): the
// larger of the regular containers' sum and the largest init container's
// limit, only when every regular container declares one; else nullopt.
absl::StatusOr<std::optional<int64_t>> PodMemoryLimit(const api::Pod& pod);

// The size= of a Memory emptyDir's tmpfs (calculateEmptyDirMemorySize): the
// node's allocatable memory, lowered to the pod's memory limit and then to
// the volume's sizeLimit when those are positive and smaller. Quantities in
// bytes, rounded up as Quantity.Value().
absl::StatusOr<int64_t> TmpfsSize(const api::Pod& pod, const api::EmptyDirVolumeSource& source,
                                  int64_t node_allocatable_memory);

// MemTotal of /proc/meminfo (cubelet reserves nothing, so all of it is
// allocatable); 0 when it cannot be read.
int64_t NodeMemoryBytes();

class VolumeManager {
 public:
  // `node_allocatable_memory` bounds tmpfs sizes; nullopt reads
  // NodeMemoryBytes() on first use.
  // `objects` and `tokens` (cluster mode) feed configMap, secret and
  // projected volumes; without them those volumes fail to set up.
  VolumeManager(std::string root_dir, Mounter* mounter,
                std::optional<int64_t> node_allocatable_memory = std::nullopt,
                apiobjects::ObjectManager* objects = nullptr, token::TokenGetter* tokens = nullptr);

  VolumeManager(const VolumeManager&) = delete;
  VolumeManager& operator=(const VolumeManager&) = delete;

  // <root>/pods/<uid>
  std::string PodDir(const std::string& uid) const;
  // <root>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>
  std::string EmptyDirPath(const std::string& uid, const std::string& name) const;
  // <root>/pods/<uid>/volumes/kubernetes.io~downward-api/<name>
  std::string DownwardAPIPath(const std::string& uid, const std::string& name) const;
  // <root>/pods/<uid>/volumes/<plugin_dir>/<name>
  std::string PluginVolumePath(const std::string& uid, std::string_view plugin_dir,
                               const std::string& name) const;

  // Makes every volume of the pod ready to mount. Idempotent: an emptyDir
  // already set up (and its tmpfs) is kept with its content. The error names
  // the volume and path: `MountVolume.SetUp failed for volume "<name>" : ...`.
  // `node` fills in missing limits in downwardAPI resourceFieldRefs.
  absl::Status SetUpPodVolumes(const api::Pod& pod, const api::NodeAllocatable& node = {});

  // Unmounts the tmpfs volumes of pod `uid` (emptyDir, secret, projected);
  // returns the first failure after trying all. Then removes the pod's
  // volume directories with their content, as upstream's TearDown does for
  // a terminated pod, except one with a mount still at or below it (left,
  // with a warning, for the orphaned pod-dir cleanup). The pod dir stays.
  absl::Status TearDownPodVolumes(const std::string& uid);

  // Housekeeping's cleanupOrphanedPodDirs: for each <root>/pods/<uid> whose
  // uid is not in `keep`, tears down its volumes (the pod may have gone
  // while the agent was down) and removes the directory, unless something
  // is still mounted at or below it (left for the next pass, with a
  // warning). Returns the uids whose directory was removed.
  std::vector<std::string> CleanupOrphanedPodDirs(const absl::flat_hash_set<std::string>& keep);

 private:
  void RemovePodVolumeDirs(const std::string& uid);
  absl::Status SetUpEmptyDir(const api::Pod& pod, const api::Volume& volume);
  absl::Status SetUpDownwardAPI(const api::Pod& pod, const api::Volume& volume,
                                const api::NodeAllocatable& node);
  absl::Status SetUpConfigMap(const api::Pod& pod, const api::Volume& volume);
  absl::Status SetUpSecret(const api::Pod& pod, const api::Volume& volume);
  // On a tmpfs of its own, as secrets (upstream wraps a Memory emptyDir).
  absl::Status SetUpProjected(const api::Pod& pod, const api::Volume& volume,
                              const api::NodeAllocatable& node);
  // Mounts a tmpfs at `dir` unless one is there already; sized as a Memory
  // emptyDir of the pod without a sizeLimit.
  absl::Status EnsureTmpfs(const api::Pod& pod, const std::string& dir);

  const std::string root_dir_;
  Mounter* const mounter_;
  const std::optional<int64_t> node_allocatable_memory_;
  apiobjects::ObjectManager* const objects_;
  token::TokenGetter* const tokens_;
};

}  // namespace cubelet::volume

#endif  // CUBELET_VOLUME_VOLUME_MANAGER_H_
