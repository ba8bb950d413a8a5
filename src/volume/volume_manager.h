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
// With securityContext.fsGroup, emptyDir and downwardAPI volumes belong to
// that group with the set-group-ID bit on directories (SetVolumeOwnership).
//
// Teardown unmounts the pod's tmpfs emptyDirs (only tmpfs mounted directly
// at <root>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>), so the pod
// directory can go once the pod is gone.
//
// Ownership: the Mounter is not owned and must outlive the manager.
// Thread-safety: all methods may be called concurrently for different pods;
// calls for one pod must be serialised (the pod workers do that).
#ifndef CUBELET_VOLUME_VOLUME_MANAGER_H_
#define CUBELET_VOLUME_VOLUME_MANAGER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/fieldpath.h"
#include "api/pod.h"
#include "volume/mounter.h"

namespace cubelet::volume {

inline constexpr char kEmptyDirPluginDir[] = "kubernetes.io~empty-dir";
inline constexpr char kMediumMemory[] = "Memory";
inline constexpr char kDownwardAPIPluginDir[] = "kubernetes.io~downward-api";

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
  VolumeManager(std::string root_dir, Mounter* mounter,
                std::optional<int64_t> node_allocatable_memory = std::nullopt);

  VolumeManager(const VolumeManager&) = delete;
  VolumeManager& operator=(const VolumeManager&) = delete;

  // <root>/pods/<uid>
  std::string PodDir(const std::string& uid) const;
  // <root>/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>
  std::string EmptyDirPath(const std::string& uid, const std::string& name) const;
  // <root>/pods/<uid>/volumes/kubernetes.io~downward-api/<name>
  std::string DownwardAPIPath(const std::string& uid, const std::string& name) const;

  // Makes every volume of the pod ready to mount. Idempotent: an emptyDir
  // already set up (and its tmpfs) is kept with its content. The error names
  // the volume and path: `MountVolume.SetUp failed for volume "<name>" : ...`.
  // `node` fills in missing limits in downwardAPI resourceFieldRefs.
  absl::Status SetUpPodVolumes(const api::Pod& pod, const api::NodeAllocatable& node = {});

  // Unmounts the tmpfs emptyDirs of pod `uid`; returns the first failure
  // after trying all. The directories stay (the orphaned pod-dir cleanup
  // removes them).
  absl::Status TearDownPodVolumes(const std::string& uid);

  // Housekeeping's cleanupOrphanedPodDirs: for each <root>/pods/<uid> whose
  // uid is not in `keep`, tears down its volumes (the pod may have gone
  // while the agent was down) and removes the directory, unless something
  // is still mounted at or below it (left for the next pass, with a
  // warning). Returns the uids whose directory was removed.
  std::vector<std::string> CleanupOrphanedPodDirs(const absl::flat_hash_set<std::string>& keep);

 private:
  absl::Status SetUpEmptyDir(const api::Pod& pod, const api::Volume& volume);
  absl::Status SetUpDownwardAPI(const api::Pod& pod, const api::Volume& volume,
                                const api::NodeAllocatable& node);

  const std::string root_dir_;
  Mounter* const mounter_;
  const std::optional<int64_t> node_allocatable_memory_;
};

}  // namespace cubelet::volume

#endif  // CUBELET_VOLUME_VOLUME_MANAGER_H_
