#include "volume/volume_manager.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/quantity.h"
#include "util/log.h"
#include "volume/atomic_writer.h"
#include "volume/host_path.h"

namespace cubelet::volume {
namespace {

constexpr mode_t kEmptyDirMode = 0777;

std::string Join(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

absl::Status SetUpFailed(const std::string& volume, const absl::Status& cause) {
  return absl::Status(cause.code(), absl::StrCat("MountVolume.SetUp failed for volume \"", volume,
                                                 "\" : ", cause.message()));
}

// mkdir -p, then force 0777 on the leaf: the mode must not depend on the
// agent's umask (upstream's setupDir chmods for the same reason).
absl::Status SetUpDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()));
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return absl::InternalError(absl::StrCat("stat ", dir, ": ", strerror(errno)));
  }
  // The set-group-ID bit an fsGroup added stays.
  if ((st.st_mode & 0777) != kEmptyDirMode &&
      ::chmod(dir.c_str(), kEmptyDirMode | (st.st_mode & S_ISGID)) != 0) {
    return absl::InternalError(absl::StrCat("chmod ", dir, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

// SetVolumeOwnership for a volume root: group `gid`, group-writable, and the
// set-group-ID bit so what the containers create there inherits the group.
absl::Status SetGroupOwnership(const std::string& dir, int64_t gid) {
  if (::chown(dir.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(gid)) != 0) {
    return absl::InternalError(absl::StrCat("chown ", dir, ": ", strerror(errno)));
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return absl::InternalError(absl::StrCat("stat ", dir, ": ", strerror(errno)));
  }
  if (::chmod(dir.c_str(), (st.st_mode & 07777) | S_ISGID | 0070) != 0) {
    return absl::InternalError(absl::StrCat("chmod ", dir, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

// securityContext.fsGroup: the group the pod's volumes belong to, if any.
std::optional<int64_t> FsGroup(const api::Pod& pod) {
  return pod.spec.security_context.has_value() ? pod.spec.security_context->fs_group : std::nullopt;
}

}  // namespace

absl::StatusOr<std::optional<int64_t>> PodMemoryLimit(const api::Pod& pod) {
  auto limit_of = [](const api::Container& c) -> absl::StatusOr<int64_t> {
    auto it = c.resources.limits.find("memory");
    if (it == c.resources.limits.end()) return 0;
    return api::ParseValue(it->second);
  };
  int64_t sum = 0;
  for (const api::Container& c : pod.spec.containers) {
    absl::StatusOr<int64_t> l = limit_of(c);
    if (!l.ok()) return l.status();
    if (*l <= 0) return std::optional<int64_t>();
    sum += *l;
  }
  int64_t max_init = 0;
  for (const api::Container& c : pod.spec.init_containers) {
    absl::StatusOr<int64_t> l = limit_of(c);
    if (!l.ok()) return l.status();
    max_init = std::max(max_init, *l);
  }
  int64_t limit = std::max(sum, max_init);
  return limit > 0 ? std::optional<int64_t>(limit) : std::nullopt;
}

absl::StatusOr<int64_t> TmpfsSize(const api::Pod& pod, const api::EmptyDirVolumeSource& source,
                                  int64_t node_allocatable_memory) {
  int64_t size = node_allocatable_memory;
  absl::StatusOr<std::optional<int64_t>> pod_limit = PodMemoryLimit(pod);
  if (!pod_limit.ok()) return pod_limit.status();
  if (pod_limit->has_value() && **pod_limit <= size) size = **pod_limit;
  if (source.size_limit.has_value() && !source.size_limit->empty()) {
    absl::StatusOr<int64_t> limit = api::ParseValue(*source.size_limit);
    if (!limit.ok()) return limit.status();
    if (*limit > 0 && *limit <= size) size = *limit;
  }
  return size;
}

int64_t NodeMemoryBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t value = 0;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemTotal:") return value * 1024;  // the kernel writes kB
  }
  return 0;
}

absl::StatusOr<Payload> ConfigMapPayload(const api::ConfigMapVolumeSource& source,
                                         const apiobjects::ConfigMap& config_map) {
  const mode_t default_mode = static_cast<mode_t>(source.default_mode.value_or(0644));
  Payload payload;
  if (source.items.empty()) {
    for (const auto& [key, data] : config_map.data) {
      payload[key] = FileProjection{.data = data, .mode = default_mode};
    }
    for (const auto& [key, data] : config_map.binary_data) {
      payload[key] = FileProjection{.data = data, .mode = default_mode};
    }
    return payload;
  }
  for (const api::KeyToPath& item : source.items) {
    const std::string* data = nullptr;
    if (auto it = config_map.data.find(item.key); it != config_map.data.end()) {
      data = &it->second;
    } else if (auto bit = config_map.binary_data.find(item.key);
               bit != config_map.binary_data.end()) {
      data = &bit->second;
    } else if (source.optional.value_or(false)) {
      continue;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("configmap references non-existent config key: ", item.key));
    }
    payload[item.path] = FileProjection{
        .data = *data, .mode = item.mode ? static_cast<mode_t>(*item.mode) : default_mode};
  }
  return payload;
}

absl::StatusOr<Payload> SecretPayload(const api::SecretVolumeSource& source,
                                      const apiobjects::Secret& secret) {
  const mode_t default_mode = static_cast<mode_t>(source.default_mode.value_or(0644));
  Payload payload;
  if (source.items.empty()) {
    for (const auto& [key, data] : secret.data) {
      payload[key] = FileProjection{.data = data, .mode = default_mode};
    }
    return payload;
  }
  for (const api::KeyToPath& item : source.items) {
    auto it = secret.data.find(item.key);
    if (it == secret.data.end()) {
      if (source.optional.value_or(false)) continue;
      return absl::InvalidArgumentError(
          absl::StrCat("references non-existent secret key: ", item.key));
    }
    payload[item.path] = FileProjection{
        .data = it->second, .mode = item.mode ? static_cast<mode_t>(*item.mode) : default_mode};
  }
  return payload;
}

VolumeManager::VolumeManager(std::string root_dir, Mounter* mounter,
                             std::optional<int64_t> node_allocatable_memory,
                             apiobjects::ObjectManager* objects, token::TokenGetter* tokens)
    : root_dir_(std::move(root_dir)),
      mounter_(mounter),
      node_allocatable_memory_(node_allocatable_memory),
      objects_(objects),
      tokens_(tokens) {}

std::string VolumeManager::PodDir(const std::string& uid) const {
  return Join(root_dir_, absl::StrCat("pods/", uid));
}

std::string VolumeManager::EmptyDirPath(const std::string& uid, const std::string& name) const {
  return absl::StrCat(PodDir(uid), "/volumes/", kEmptyDirPluginDir, "/", name);
}

absl::Status VolumeManager::SetUpPodVolumes(const api::Pod& pod, const api::NodeAllocatable& node) {
  const std::optional<int64_t> fs_group = FsGroup(pod);
  for (const api::Volume& v : pod.spec.volumes) {
    absl::Status s;
    if (v.empty_dir.has_value()) {
      s = SetUpEmptyDir(pod, v);
      if (s.ok() && fs_group.has_value()) {
        s = SetGroupOwnership(EmptyDirPath(pod.metadata.uid, v.name), *fs_group);
      }
    } else if (v.host_path.has_value()) {
      s = CheckHostPathType(v.host_path->path, v.host_path->type);
    } else if (v.downward_api.has_value()) {
      s = SetUpDownwardAPI(pod, v, node);
    } else if (v.config_map.has_value()) {
      s = SetUpConfigMap(pod, v);
    } else if (v.secret.has_value()) {
      s = SetUpSecret(pod, v);
    } else if (v.projected.has_value()) {
      s = SetUpProjected(pod, v, node);
    }
    if (!s.ok()) return SetUpFailed(v.name, s);
  }
  return absl::OkStatus();
}

std::string VolumeManager::DownwardAPIPath(const std::string& uid, const std::string& name) const {
  return PluginVolumePath(uid, kDownwardAPIPluginDir, name);
}

std::string VolumeManager::PluginVolumePath(const std::string& uid, std::string_view plugin_dir,
                                            const std::string& name) const {
  return absl::StrCat(PodDir(uid), "/volumes/", std::string(plugin_dir), "/", name);
}

absl::Status VolumeManager::SetUpConfigMap(const api::Pod& pod, const api::Volume& volume) {
  const api::ConfigMapVolumeSource& source = *volume.config_map;
  if (objects_ == nullptr) {
    return absl::FailedPreconditionError("configMap volumes need an API server (cluster mode)");
  }
  absl::StatusOr<apiobjects::ConfigMapPtr> cm =
      objects_->GetConfigMap(pod.metadata.namespace_, source.name);
  if (!cm.ok() && !(absl::IsNotFound(cm.status()) && source.optional.value_or(false))) {
    return cm.status();
  }
  const apiobjects::ConfigMap none;
  absl::StatusOr<Payload> payload = ConfigMapPayload(source, cm.ok() ? **cm : none);
  if (!payload.ok()) return payload.status();
  const std::optional<int64_t> fs_group = FsGroup(pod);
  return WritePayload(PluginVolumePath(pod.metadata.uid, kConfigMapPluginDir, volume.name),
                      *payload, fs_group);
}

absl::Status VolumeManager::SetUpSecret(const api::Pod& pod, const api::Volume& volume) {
  const api::SecretVolumeSource& source = *volume.secret;
  if (objects_ == nullptr) {
    return absl::FailedPreconditionError("secret volumes need an API server (cluster mode)");
  }
  absl::StatusOr<apiobjects::SecretPtr> secret =
      objects_->GetSecret(pod.metadata.namespace_, source.secret_name);
  if (!secret.ok() && !(absl::IsNotFound(secret.status()) && source.optional.value_or(false))) {
    return secret.status();
  }
  const apiobjects::Secret none;
  absl::StatusOr<Payload> payload = SecretPayload(source, secret.ok() ? **secret : none);
  if (!payload.ok()) return payload.status();
  const std::string dir = PluginVolumePath(pod.metadata.uid, kSecretPluginDir, volume.name);
  if (absl::Status s = EnsureTmpfs(pod, dir); !s.ok()) return s;
  const std::optional<int64_t> fs_group = FsGroup(pod);
  return WritePayload(dir, *payload, fs_group);
}

absl::Status VolumeManager::EnsureTmpfs(const api::Pod& pod, const std::string& dir) {
  absl::StatusOr<std::vector<MountPoint>> mounts = mounter_->List();
  if (!mounts.ok()) return mounts.status();
  for (const MountPoint& m : *mounts) {
    if (m.path == dir && m.fs_type == "tmpfs") return absl::OkStatus();
  }
  absl::StatusOr<int64_t> size = TmpfsSize(pod, api::EmptyDirVolumeSource{.medium = kMediumMemory},
                                           node_allocatable_memory_.value_or(NodeMemoryBytes()));
  if (!size.ok()) return size.status();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()));
  std::optional<int64_t> size_option;
  if (*size > 0) size_option = *size;
  return mounter_->MountTmpfs(dir, size_option);
}

absl::StatusOr<Payload> DownwardAPIPayload(const api::Pod& pod,
                                           const std::vector<api::DownwardAPIVolumeFile>& items,
                                           mode_t default_mode, const api::NodeAllocatable& node) {
  Payload payload;
  for (const api::DownwardAPIVolumeFile& item : items) {
    absl::StatusOr<std::string> value;
    if (item.field_ref.has_value()) {
      value = api::ExtractFieldPath(pod, item.field_ref->field_path, api::FieldContext{});
    } else if (item.resource_field_ref.has_value()) {
      const api::Container* c = api::FindContainer(pod, item.resource_field_ref->container_name);
      if (c == nullptr) {
        value = absl::InvalidArgumentError(
            absl::StrCat("no container named \"", item.resource_field_ref->container_name, "\""));
      } else {
        value = api::ExtractResourceValue(*item.resource_field_ref, *c, node);
      }
    } else {
      value = absl::InvalidArgumentError("neither fieldRef nor resourceFieldRef");
    }
    if (!value.ok()) {
      return absl::Status(value.status().code(),
                          absl::StrCat("item ", item.path, ": ", value.status().message()));
    }
    payload[item.path] = FileProjection{
        .data = *std::move(value),
        .mode = item.mode.has_value() ? static_cast<mode_t>(*item.mode) : default_mode};
  }
  return payload;
}

absl::Status VolumeManager::SetUpDownwardAPI(const api::Pod& pod, const api::Volume& volume,
                                             const api::NodeAllocatable& node) {
  const api::DownwardAPIVolumeSource& source = *volume.downward_api;
  absl::StatusOr<Payload> payload = DownwardAPIPayload(
      pod, source.items, static_cast<mode_t>(source.default_mode.value_or(0644)), node);
  if (!payload.ok()) return payload.status();
  const std::optional<int64_t> fs_group = FsGroup(pod);
  return WritePayload(DownwardAPIPath(pod.metadata.uid, volume.name), *payload, fs_group);
}

absl::Status VolumeManager::SetUpProjected(const api::Pod& pod, const api::Volume& volume,
                                           const api::NodeAllocatable& node) {
  const api::ProjectedVolumeSource& source = *volume.projected;
  const int32_t default_mode = source.default_mode.value_or(0644);
  const std::optional<int64_t> fs_group = FsGroup(pod);
  Payload payload;
  // As upstream collectData: every source is tried, the errors are reported
  // together and nothing is written unless all succeeded.
  std::vector<std::string> errors;
  absl::StatusCode code = absl::StatusCode::kOk;
  auto fail = [&](const absl::Status& s) {
    if (code == absl::StatusCode::kOk) code = s.code();
    errors.push_back(std::string(s.message()));
  };
  auto merge = [&](absl::StatusOr<Payload> part) {
    if (!part.ok()) return fail(part.status());
    for (auto& [path, file] : *part) payload[path] = std::move(file);
  };
  for (const api::VolumeProjection& p : source.sources) {
    if (p.config_map.has_value()) {
      if (objects_ == nullptr) {
        fail(absl::FailedPreconditionError("configMap sources need an API server (cluster mode)"));
        continue;
      }
      api::ConfigMapVolumeSource cm_source = *p.config_map;
      cm_source.default_mode = default_mode;
      absl::StatusOr<apiobjects::ConfigMapPtr> cm =
          objects_->GetConfigMap(pod.metadata.namespace_, cm_source.name);
      if (!cm.ok() && !(absl::IsNotFound(cm.status()) && cm_source.optional.value_or(false))) {
        fail(cm.status());
        continue;
      }
      const apiobjects::ConfigMap none;
      merge(ConfigMapPayload(cm_source, cm.ok() ? **cm : none));
    } else if (p.secret.has_value()) {
      if (objects_ == nullptr) {
        fail(absl::FailedPreconditionError("secret sources need an API server (cluster mode)"));
        continue;
      }
      api::SecretVolumeSource secret_source = *p.secret;
      secret_source.default_mode = default_mode;
      absl::StatusOr<apiobjects::SecretPtr> secret =
          objects_->GetSecret(pod.metadata.namespace_, secret_source.secret_name);
      if (!secret.ok() &&
          !(absl::IsNotFound(secret.status()) && secret_source.optional.value_or(false))) {
        fail(secret.status());
        continue;
      }
      const apiobjects::Secret none;
      merge(SecretPayload(secret_source, secret.ok() ? **secret : none));
    } else if (p.downward_api.has_value()) {
      merge(
          DownwardAPIPayload(pod, p.downward_api->items, static_cast<mode_t>(default_mode), node));
    } else if (p.service_account_token.has_value()) {
      if (tokens_ == nullptr) {
        fail(absl::FailedPreconditionError(
            "serviceAccountToken sources need an API server (cluster mode)"));
        continue;
      }
      const api::ServiceAccountTokenProjection& t = *p.service_account_token;
      absl::StatusOr<std::string> token = tokens_->GetServiceAccountToken(token::TokenRequest{
          .namespace_ = pod.metadata.namespace_,
          .service_account =
              pod.spec.service_account_name.empty() ? "default" : pod.spec.service_account_name,
          .audience = t.audience,
          .expiration_seconds = t.expiration_seconds.value_or(3600),
          .pod_name = pod.metadata.name,
          .pod_uid = pod.metadata.uid});
      if (!token.ok()) {
        fail(token.status());
        continue;
      }
      // Readable by the pod's group only when it has one (upstream: 0600
      // with an fsGroup, the group bit added by the fsGroup ownership).
      payload[t.path] =
          FileProjection{.data = *std::move(token),
                         .mode = static_cast<mode_t>(fs_group.has_value() ? 0600 : default_mode)};
    }
  }
  if (!errors.empty()) {
    return absl::Status(code, errors.size() == 1
                                  ? errors.front()
                                  : absl::StrCat("[", absl::StrJoin(errors, ", "), "]"));
  }
  const std::string dir = PluginVolumePath(pod.metadata.uid, kProjectedPluginDir, volume.name);
  if (absl::Status s = EnsureTmpfs(pod, dir); !s.ok()) return s;
  return WritePayload(dir, payload, fs_group);
}

absl::Status VolumeManager::SetUpEmptyDir(const api::Pod& pod, const api::Volume& volume) {
  const std::string dir = EmptyDirPath(pod.metadata.uid, volume.name);
  if (volume.empty_dir->medium != kMediumMemory) return SetUpDir(dir);

  absl::StatusOr<int64_t> size =
      TmpfsSize(pod, *volume.empty_dir, node_allocatable_memory_.value_or(NodeMemoryBytes()));
  if (!size.ok()) return size.status();
  absl::StatusOr<std::vector<MountPoint>> mounts = mounter_->List();
  if (!mounts.ok()) return mounts.status();
  for (const MountPoint& m : *mounts) {
    // Set up by an earlier sync: keep it and what the containers wrote.
    if (m.path == dir && m.fs_type == "tmpfs") return absl::OkStatus();
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", ec.message()));
  // No size at all (meminfo unreadable) leaves the kernel's default, half of RAM.
  std::optional<int64_t> size_option;
  if (*size > 0) size_option = *size;
  if (absl::Status s = mounter_->MountTmpfs(dir, size_option); !s.ok()) return s;
  // The mode is the new tmpfs root's, which mount(2) set to 1777 - make it
  // exactly 0777 as upstream.
  return SetUpDir(dir);
}

absl::Status VolumeManager::TearDownPodVolumes(const std::string& uid) {
  absl::StatusOr<std::vector<MountPoint>> mounts = mounter_->List();
  if (!mounts.ok()) return mounts.status();
  absl::Status first;
  if (tokens_ != nullptr) tokens_->ForgetPod(uid);
  for (const char* plugin_dir : {kEmptyDirPluginDir, kSecretPluginDir, kProjectedPluginDir}) {
    const std::string prefix = absl::StrCat(PodDir(uid), "/volumes/", plugin_dir, "/");
    // Last mounted first, in case a tmpfs was mounted twice at the same path.
    for (auto it = mounts->rbegin(); it != mounts->rend(); ++it) {
      const MountPoint& m = *it;
      if (m.fs_type != "tmpfs" || !m.path.starts_with(prefix)) continue;
      // Only a volume's own mount point, never something deeper.
      if (m.path.find('/', prefix.size()) != std::string::npos) continue;
      if (absl::Status s = mounter_->Unmount(m.path); !s.ok() && first.ok()) first = s;
    }
  }
  if (!first.ok()) return first;
  RemovePodVolumeDirs(uid);
  return absl::OkStatus();
}

void VolumeManager::RemovePodVolumeDirs(const std::string& uid) {
  namespace fs = std::filesystem;
  absl::StatusOr<std::vector<MountPoint>> mounts = mounter_->List();
  if (!mounts.ok()) {
    LOG(WARNING) << "Volumes of pod " << uid << " left in place: " << mounts.status();
    return;
  }
  for (const char* plugin_dir : {kEmptyDirPluginDir, kDownwardAPIPluginDir, kConfigMapPluginDir,
                                 kSecretPluginDir, kProjectedPluginDir}) {
    std::error_code ec;
    const fs::path dir = fs::path(PodDir(uid)) / "volumes" / plugin_dir;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string path = entry.path().string();
      const std::string below = path + "/";
      // Never remove through a mount that is not ours (or one that failed
      // to go): the orphaned pod-dir cleanup retries once it is gone.
      if (std::any_of(mounts->begin(), mounts->end(), [&](const MountPoint& m) {
            return m.path == path || m.path.starts_with(below);
          })) {
        LOG(WARNING) << "Volume " << path << " still has mounts; left in place";
        continue;
      }
      std::error_code remove_ec;
      fs::remove_all(entry.path(), remove_ec);
      if (remove_ec)
        LOG(WARNING) << "Failed to remove volume " << path << ": " << remove_ec.message();
    }
  }
}

std::vector<std::string> VolumeManager::CleanupOrphanedPodDirs(
    const absl::flat_hash_set<std::string>& keep) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  const fs::path pods_dir = fs::path(root_dir_) / "pods";
  std::vector<std::string> uids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(pods_dir, ec)) {
    uids.push_back(entry.path().filename().string());
  }
  std::sort(uids.begin(), uids.end());
  for (const std::string& uid : uids) {
    if (keep.contains(uid)) continue;
    const std::string dir = PodDir(uid);
    // Our own tmpfs emptyDirs would otherwise keep the dir forever.
    if (absl::Status s = TearDownPodVolumes(uid); !s.ok()) {
      LOG(WARNING) << "Orphaned pod dir " << dir << ": " << s;
    }
    absl::StatusOr<std::vector<MountPoint>> mounts = mounter_->List();
    if (!mounts.ok()) {
      LOG(WARNING) << "Orphaned pod dir " << dir << " left in place: " << mounts.status();
      continue;
    }
    const std::string prefix = dir + "/";
    if (std::any_of(mounts->begin(), mounts->end(), [&](const MountPoint& m) {
          return m.path == dir || m.path.starts_with(prefix);
        })) {
      LOG(WARNING) << "Orphaned pod dir " << dir << " still has mounts; left in place";
      continue;
    }
    fs::remove_all(dir, ec);
    if (ec) {
      LOG(WARNING) << "Failed to remove orphaned pod dir " << dir << ": " << ec.message();
      continue;
    }
    LOG(INFO) << "Removed orphaned pod dir " << dir;
    removed.push_back(uid);
  }
  return removed;
}

}  // namespace cubelet::volume
