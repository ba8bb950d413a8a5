#include "cri/inmemory/in_memory_runtime.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace cubelet::cri {
namespace {

constexpr int32_t kExitSigKill = 137;     // 128 + SIGKILL
constexpr int32_t kExitSigTerm = 143;     // 128 + SIGTERM
constexpr uint32_t kMaxIpOffset = 65534;  // 10.88.255.254
constexpr uint64_t kImageSize = 4 << 20;

// splitmix64's finalizer: a bijection on 64 bits, so distinct counters give
// distinct ids without keeping a set of used ones.
uint64_t Mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// 64 hex chars, the shape of containerd's ids and image digests. The first
// word alone is a bijection of `seed`.
std::string Hex256(uint64_t seed) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (int w = 0; w < 4; ++w) {
    uint64_t v = Mix(seed * 4 + w);
    for (int i = 15; i >= 0; --i) {
      out[w * 16 + i] = kDigits[v & 0xf];
      v >>= 4;
    }
  }
  return out;
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool IsImageId(const std::string& ref) { return ref.starts_with("sha256:"); }

// containerd resolves a reference without tag or digest to ":latest". (It
// also prefixes "docker.io/library/"; that is left out so refs read back as
// tests wrote them.)
std::string NormalizeRef(const std::string& ref) {
  if (ref.empty() || IsImageId(ref) || ref.find('@') != std::string::npos) return ref;
  size_t slash = ref.rfind('/');
  size_t tag = ref.find(':', slash == std::string::npos ? 0 : slash + 1);
  if (tag != std::string::npos) return ref;
  return absl::StrCat(ref, ":latest");
}

std::string ImageIdFor(const std::string& normalized_ref) {
  return absl::StrCat("sha256:", Hex256(Fnv1a(normalized_ref)));
}

std::string IpFor(uint32_t offset) {
  return absl::StrCat("10.88.", offset >> 8, ".", offset & 0xff);
}

bool MatchLabels(const Labels& selector, const Labels& labels) {
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

std::string DefaultReason(int32_t exit_code, std::string reason) {
  if (!reason.empty()) return reason;
  return exit_code == 0 ? "Completed" : "Error";
}

const char* StateName(ContainerState s) {
  switch (s) {
    case ContainerState::kCreated:
      return "CONTAINER_CREATED";
    case ContainerState::kRunning:
      return "CONTAINER_RUNNING";
    case ContainerState::kExited:
      return "CONTAINER_EXITED";
    case ContainerState::kUnknown:
      break;
  }
  return "CONTAINER_UNKNOWN";
}

absl::Status ContainerNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("container \"", id, "\" not found"));
}

absl::Status SandboxNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("sandbox \"", id, "\" not found"));
}

}  // namespace

InMemoryRuntime::InMemoryRuntime(Clock* clock) : clock_(clock) {}

// ---------------------------------------------------------------------------
// Call prologue: counting, latency, faults.

absl::Status InMemoryRuntime::Enter(const std::string& method) {
  absl::Duration latency;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++call_counts_[method];
    auto it = latency_.find(method);
    if (it == latency_.end()) it = latency_.find("*");
    latency = it == latency_.end() ? absl::ZeroDuration() : it->second;
    if (latency <= absl::ZeroDuration()) return CheckFaultsLocked(method);
  }
  absl::SleepFor(latency);
  std::lock_guard<std::mutex> l(mu_);
  return CheckFaultsLocked(method);
}

absl::Status InMemoryRuntime::CheckFaultsLocked(const std::string& method) {
  if (down_) return absl::UnavailableError("runtime is down");
  auto it = errors_.find(method);
  if (it == errors_.end()) return absl::OkStatus();
  InjectedError& front = it->second.front();
  // A fresh Status, not a copy: copies share a reference-counted payload,
  // and Debian's abseil releases it in uninstrumented code, which TSan
  // would report as a race between callers on different threads.
  absl::Status error(front.error.code(), front.error.message());
  if (front.remaining > 0 && --front.remaining == 0) {
    it->second.pop_front();
    if (it->second.empty()) errors_.erase(it);
  }
  return error;
}

std::string InMemoryRuntime::NewIdLocked() { return Hex256(next_id_++); }

const InMemoryRuntime::ImageRecord* InMemoryRuntime::FindImageLocked(
    const std::string& ref_or_id) const {
  if (IsImageId(ref_or_id)) {
    for (const auto& [ref, image] : images_) {
      if (image.id == ref_or_id) return &image;
    }
    return nullptr;
  }
  auto it = images_.find(NormalizeRef(ref_or_id));
  return it == images_.end() ? nullptr : &it->second;
}

void InMemoryRuntime::ExitLocked(ContainerRecord& c, int32_t exit_code, std::string reason,
                                 std::vector<std::string>& exited) {
  c.state = ContainerState::kExited;
  c.finished_at = NowNanos();
  c.exit_code = exit_code;
  c.reason = DefaultReason(exit_code, std::move(reason));
  exited.push_back(c.id);
}

void InMemoryRuntime::StopSandboxLocked(SandboxRecord& s, std::vector<std::string>& exited) {
  for (const std::string& cid : s.container_ids) {
    auto it = containers_.find(cid);
    if (it != containers_.end() && it->second.state == ContainerState::kRunning) {
      ExitLocked(it->second, kExitSigKill, "Error", exited);
    }
  }
  s.state = PodSandboxState::kNotReady;
}

void InMemoryRuntime::EraseContainerLocked(const std::string& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  container_names_.erase(it->second.name_key);
  auto sit = sandboxes_.find(it->second.sandbox_id);
  if (sit != sandboxes_.end()) {
    auto& ids = sit->second.container_ids;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  }
  containers_.erase(it);
}

void InMemoryRuntime::NotifyExited(const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  ExitListener listener;
  {
    std::lock_guard<std::mutex> l(mu_);
    listener = exit_listener_;
  }
  if (!listener) return;
  for (const std::string& id : ids) listener(id);
}

// ---------------------------------------------------------------------------
// RuntimeService

absl::StatusOr<VersionInfo> InMemoryRuntime::GetVersion() {
  if (absl::Status s = Enter("GetVersion"); !s.ok()) return s;
  return VersionInfo{.version = "0.1.0",
                     .runtime_name = "inmemory",
                     .runtime_version = "0.1.0",
                     .runtime_api_version = "v1"};
}

absl::StatusOr<RuntimeStatus> InMemoryRuntime::GetStatus() {
  if (absl::Status s = Enter("GetStatus"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  RuntimeStatus status;
  status.conditions.push_back({.type = "RuntimeReady", .status = true});
  RuntimeCondition network{.type = "NetworkReady", .status = network_ready_};
  if (!network_ready_) {
    network.reason = "NetworkPluginNotReady";
    network.message = "Network plugin returns error: cni plugin not initialized";
  }
  status.conditions.push_back(std::move(network));
  return status;
}

absl::StatusOr<std::string> InMemoryRuntime::RunPodSandbox(const PodSandboxConfig& config,
                                                           const std::string& runtime_handler) {
  if (absl::Status s = Enter("RunPodSandbox"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  const PodSandboxMetadata& md = config.metadata;
  std::string name_key = absl::StrCat(md.name, "_", md.namespace_, "_", md.uid, "_", md.attempt);
  if (auto it = sandbox_names_.find(name_key); it != sandbox_names_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("failed to reserve sandbox name \"", name_key,
                                                 "\": name \"", name_key, "\" is reserved for \"",
                                                 it->second, "\""));
  }
  uint32_t ip_offset = 0;
  if (config.network_mode != NamespaceMode::kNode) {
    if (!free_ip_offsets_.empty()) {
      ip_offset = free_ip_offsets_.back();
      free_ip_offsets_.pop_back();
    } else if (next_ip_offset_ <= kMaxIpOffset) {
      ip_offset = next_ip_offset_++;
    } else {
      return absl::ResourceExhaustedError(
          "failed to setup network for sandbox: no IP addresses available in range set: "
          "10.88.0.1-10.88.255.254");
    }
  }
  std::string id = NewIdLocked();
  sandbox_names_.emplace(name_key, id);
  sandbox_ids_by_pod_uid_[config.metadata.uid].push_back(id);
  SandboxRecord& s = sandboxes_[id];
  s.id = id;
  s.config = config;
  s.runtime_handler = runtime_handler;
  s.state = PodSandboxState::kReady;
  s.created_at = NowNanos();
  s.ip_offset = ip_offset;
  s.name_key = std::move(name_key);
  return id;
}

absl::Status InMemoryRuntime::StopPodSandbox(const std::string& pod_sandbox_id) {
  if (absl::Status s = Enter("StopPodSandbox"); !s.ok()) return s;
  std::vector<std::string> exited;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = sandboxes_.find(pod_sandbox_id);
    if (it == sandboxes_.end()) return SandboxNotFound(pod_sandbox_id);
    StopSandboxLocked(it->second, exited);
  }
  NotifyExited(exited);
  return absl::OkStatus();
}

absl::Status InMemoryRuntime::RemovePodSandbox(const std::string& pod_sandbox_id) {
  if (absl::Status s = Enter("RemovePodSandbox"); !s.ok()) return s;
  std::vector<std::string> exited;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = sandboxes_.find(pod_sandbox_id);
    if (it == sandboxes_.end()) return absl::OkStatus();  // idempotent, as containerd
    SandboxRecord& s = it->second;
    // containerd force-stops the sandbox and removes its containers with it.
    StopSandboxLocked(s, exited);
    std::vector<std::string> ids = std::move(s.container_ids);
    s.container_ids.clear();
    for (const std::string& cid : ids) EraseContainerLocked(cid);
    if (s.ip_offset != 0) free_ip_offsets_.push_back(s.ip_offset);
    sandbox_names_.erase(s.name_key);
    if (auto uit = sandbox_ids_by_pod_uid_.find(s.config.metadata.uid);
        uit != sandbox_ids_by_pod_uid_.end()) {
      std::erase(uit->second, s.id);
      if (uit->second.empty()) sandbox_ids_by_pod_uid_.erase(uit);
    }
    sandboxes_.erase(it);
  }
  NotifyExited(exited);
  return absl::OkStatus();
}

absl::StatusOr<PodSandboxStatus> InMemoryRuntime::GetPodSandboxStatus(
    const std::string& pod_sandbox_id) {
  if (absl::Status s = Enter("GetPodSandboxStatus"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  auto it = sandboxes_.find(pod_sandbox_id);
  if (it == sandboxes_.end()) return SandboxNotFound(pod_sandbox_id);
  const SandboxRecord& s = it->second;
  PodSandboxStatus status;
  status.id = s.id;
  status.metadata = s.config.metadata;
  status.state = s.state;
  status.created_at = s.created_at;
  if (s.ip_offset != 0) status.ip = IpFor(s.ip_offset);
  status.network_mode = s.config.network_mode;
  status.labels = s.config.labels;
  status.annotations = s.config.annotations;
  return status;
}

namespace {
// The pod UID a label selector asks for, if any. Objects carry the pod UID
// label only when their pod's metadata UID equals it (the kubelet's labels).
const std::string* PodUidSelector(const Labels* selector) {
  if (selector == nullptr) return nullptr;
  auto it = selector->find("io.kubernetes.pod.uid");
  return it == selector->end() ? nullptr : &it->second;
}
}  // namespace

absl::StatusOr<std::vector<PodSandbox>> InMemoryRuntime::ListPodSandbox(
    const std::optional<PodSandboxFilter>& filter) {
  if (absl::Status s = Enter("ListPodSandbox"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  std::vector<PodSandbox> out;
  auto consider = [&](const SandboxRecord& s) {
    if (filter) {
      if (filter->state && *filter->state != s.state) return;
      if (!MatchLabels(filter->label_selector, s.config.labels)) return;
    }
    out.push_back(PodSandbox{.id = s.id,
                             .metadata = s.config.metadata,
                             .state = s.state,
                             .created_at = s.created_at,
                             .labels = s.config.labels,
                             .annotations = s.config.annotations,
                             .runtime_handler = s.runtime_handler});
  };
  const std::string* pod_uid = PodUidSelector(filter ? &filter->label_selector : nullptr);
  if (filter && !filter->id.empty()) {
    if (auto it = sandboxes_.find(filter->id); it != sandboxes_.end()) consider(it->second);
  } else if (pod_uid != nullptr) {
    if (auto uit = sandbox_ids_by_pod_uid_.find(*pod_uid); uit != sandbox_ids_by_pod_uid_.end()) {
      for (const std::string& sid : uit->second) consider(sandboxes_.at(sid));
    }
  } else {
    out.reserve(sandboxes_.size());
    for (const auto& [id, s] : sandboxes_) consider(s);
  }
  return out;
}

absl::StatusOr<std::string> InMemoryRuntime::CreateContainer(
    const std::string& pod_sandbox_id, const ContainerConfig& config,
    const PodSandboxConfig& sandbox_config) {
  if (absl::Status s = Enter("CreateContainer"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  auto sit = sandboxes_.find(pod_sandbox_id);
  if (sit == sandboxes_.end()) return SandboxNotFound(pod_sandbox_id);
  SandboxRecord& sandbox = sit->second;
  if (sandbox.state != PodSandboxState::kReady) {
    return absl::FailedPreconditionError(
        absl::StrCat("sandbox container \"", pod_sandbox_id, "\" is not running"));
  }
  const ImageRecord* image = FindImageLocked(config.image.image);
  if (image == nullptr) {
    return absl::NotFoundError(absl::StrCat("image \"", config.image.image, "\" not found"));
  }
  std::string name_key =
      absl::StrCat(pod_sandbox_id, "_", config.metadata.name, "_", config.metadata.attempt);
  if (auto it = container_names_.find(name_key); it != container_names_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("failed to reserve container name \"", name_key,
                                                 "\": name \"", name_key, "\" is reserved for \"",
                                                 it->second, "\""));
  }
  std::string id = NewIdLocked();
  container_names_.emplace(name_key, id);
  ContainerRecord& c = containers_[id];
  c.id = id;
  c.sandbox_id = pod_sandbox_id;
  c.config = config;
  c.image_ref = image->id;
  // containerd reports the full path: the sandbox's log directory + log_path.
  const std::string& dir = sandbox_config.log_directory;
  if (config.log_path.empty() || dir.empty()) {
    c.log_path = config.log_path;
  } else if (dir.back() == '/') {
    c.log_path = absl::StrCat(dir, config.log_path);
  } else {
    c.log_path = absl::StrCat(dir, "/", config.log_path);
  }
  c.name_key = std::move(name_key);
  c.state = ContainerState::kCreated;
  c.created_at = NowNanos();
  sandbox.container_ids.push_back(id);
  return id;
}

absl::Status InMemoryRuntime::StartContainer(const std::string& container_id) {
  if (absl::Status s = Enter("StartContainer"); !s.ok()) return s;
  std::vector<std::string> exited;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = containers_.find(container_id);
    if (it == containers_.end()) return ContainerNotFound(container_id);
    ContainerRecord& c = it->second;
    if (c.state != ContainerState::kCreated) {
      return absl::FailedPreconditionError(
          absl::StrCat("container \"", container_id, "\" is in ", StateName(c.state), " state"));
    }
    auto sit = sandboxes_.find(c.sandbox_id);
    if (sit == sandboxes_.end() || sit->second.state != PodSandboxState::kReady) {
      return absl::FailedPreconditionError(
          absl::StrCat("sandbox container \"", c.sandbox_id, "\" is not running"));
    }
    c.state = ContainerState::kRunning;
    c.started_at = NowNanos();
    if (auto kit = exit_on_start_.find(c.config.metadata.name); kit != exit_on_start_.end()) {
      ExitLocked(c, kit->second.exit_code, kit->second.reason, exited);
    }
  }
  NotifyExited(exited);
  return absl::OkStatus();
}

absl::Status InMemoryRuntime::StopContainer(const std::string& container_id,
                                            int64_t timeout_seconds) {
  if (absl::Status s = Enter("StopContainer"); !s.ok()) return s;
  std::vector<std::string> exited;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = containers_.find(container_id);
    if (it == containers_.end()) return ContainerNotFound(container_id);
    stop_timeouts_[container_id] = timeout_seconds;
    ContainerRecord& c = it->second;
    // containerd stops only running containers; others are left as they are.
    if (c.state == ContainerState::kRunning) {
      bool killed = timeout_seconds <= 0 || ignores_term_.contains(c.config.metadata.name);
      ExitLocked(c, killed ? kExitSigKill : kExitSigTerm, "Error", exited);
    }
  }
  NotifyExited(exited);
  return absl::OkStatus();
}

absl::Status InMemoryRuntime::RemoveContainer(const std::string& container_id) {
  if (absl::Status s = Enter("RemoveContainer"); !s.ok()) return s;
  std::vector<std::string> exited;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = containers_.find(container_id);
    if (it == containers_.end()) return absl::OkStatus();  // idempotent, as containerd
    // containerd force-removes: a running container is killed first.
    if (it->second.state == ContainerState::kRunning) {
      ExitLocked(it->second, kExitSigKill, "Error", exited);
    }
    EraseContainerLocked(container_id);
  }
  NotifyExited(exited);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Container>> InMemoryRuntime::ListContainers(
    const std::optional<ContainerFilter>& filter) {
  if (absl::Status s = Enter("ListContainers"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Container> out;
  auto consider = [&](const ContainerRecord& c) {
    if (filter) {
      if (!filter->pod_sandbox_id.empty() && filter->pod_sandbox_id != c.sandbox_id) return;
      if (filter->state && *filter->state != c.state) return;
      if (!MatchLabels(filter->label_selector, c.config.labels)) return;
    }
    out.push_back(Container{.id = c.id,
                            .pod_sandbox_id = c.sandbox_id,
                            .metadata = c.config.metadata,
                            .image = c.config.image,
                            .image_ref = c.image_ref,
                            .state = c.state,
                            .created_at = c.created_at,
                            .labels = c.config.labels,
                            .annotations = c.config.annotations});
  };
  if (filter && !filter->id.empty()) {
    if (auto it = containers_.find(filter->id); it != containers_.end()) consider(it->second);
  } else if (const std::string* pod_uid =
                 PodUidSelector(filter ? &filter->label_selector : nullptr);
             pod_uid != nullptr && filter->pod_sandbox_id.empty()) {
    if (auto uit = sandbox_ids_by_pod_uid_.find(*pod_uid); uit != sandbox_ids_by_pod_uid_.end()) {
      for (const std::string& sid : uit->second) {
        for (const std::string& cid : sandboxes_.at(sid).container_ids) {
          if (auto it = containers_.find(cid); it != containers_.end()) consider(it->second);
        }
      }
    }
  } else if (filter && !filter->pod_sandbox_id.empty()) {
    // Per-sandbox index: keeps per-pod listing O(pod) with 10k pods around.
    if (auto sit = sandboxes_.find(filter->pod_sandbox_id); sit != sandboxes_.end()) {
      for (const std::string& cid : sit->second.container_ids) {
        if (auto it = containers_.find(cid); it != containers_.end()) consider(it->second);
      }
    }
  } else {
    out.reserve(containers_.size());
    for (const auto& [id, c] : containers_) consider(c);
  }
  return out;
}

absl::StatusOr<ContainerStatus> InMemoryRuntime::GetContainerStatus(
    const std::string& container_id) {
  if (absl::Status s = Enter("GetContainerStatus"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return ContainerNotFound(container_id);
  const ContainerRecord& c = it->second;
  ContainerStatus status;
  status.id = c.id;
  status.metadata = c.config.metadata;
  status.state = c.state;
  status.created_at = c.created_at;
  status.started_at = c.started_at;
  status.finished_at = c.finished_at;
  status.exit_code = c.exit_code;
  status.image = c.config.image;
  status.image_ref = c.image_ref;
  status.reason = c.reason;
  status.message = c.message;
  status.labels = c.config.labels;
  status.annotations = c.config.annotations;
  status.mounts = c.config.mounts;
  status.log_path = c.log_path;
  return status;
}

absl::StatusOr<ExecSyncResponse> InMemoryRuntime::ExecSync(const std::string& container_id,
                                                           const std::vector<std::string>& cmd,
                                                           absl::Duration timeout) {
  if (absl::Status s = Enter("ExecSync"); !s.ok()) return s;
  ExecHandler handler;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = containers_.find(container_id);
    if (it == containers_.end()) return ContainerNotFound(container_id);
    if (it->second.state != ContainerState::kRunning) {
      return absl::FailedPreconditionError(absl::StrCat("container \"", container_id, "\" is in ",
                                                        StateName(it->second.state), " state"));
    }
    if (auto hit = exec_handlers_.find(it->second.config.metadata.name);
        hit != exec_handlers_.end()) {
      handler = hit->second;
    }
  }
  if (!handler) return ExecSyncResponse{};
  return handler(cmd);
}

absl::StatusOr<std::string> InMemoryRuntime::StreamUrl(const std::string& method,
                                                       const std::string& container_id,
                                                       const StreamOptions& streams) {
  if (absl::Status s = Enter(method); !s.ok()) return s;
  if (!streams.stdin && !streams.stdout && !streams.stderr) {
    return absl::InvalidArgumentError("one of stdin, stdout, or stderr must be set");
  }
  std::lock_guard<std::mutex> l(mu_);
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return ContainerNotFound(container_id);
  if (it->second.state != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("container \"", container_id, "\" is in ",
                                                      StateName(it->second.state), " state"));
  }
  return absl::StrCat(streaming_base_, "/", absl::AsciiStrToLower(method), "/", container_id);
}

absl::StatusOr<std::string> InMemoryRuntime::Exec(const std::string& container_id,
                                                  const std::vector<std::string>& /*cmd*/,
                                                  const StreamOptions& streams) {
  return StreamUrl("Exec", container_id, streams);
}

absl::StatusOr<std::string> InMemoryRuntime::Attach(const std::string& container_id,
                                                    const StreamOptions& streams) {
  return StreamUrl("Attach", container_id, streams);
}

absl::StatusOr<std::string> InMemoryRuntime::PortForward(const std::string& pod_sandbox_id,
                                                         const std::vector<int32_t>& /*ports*/) {
  if (absl::Status s = Enter("PortForward"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  if (!sandboxes_.contains(pod_sandbox_id)) return SandboxNotFound(pod_sandbox_id);
  return absl::StrCat(streaming_base_, "/portforward/", pod_sandbox_id);
}

void InMemoryRuntime::SetStreamingBase(std::string base) {
  std::lock_guard<std::mutex> l(mu_);
  streaming_base_ = std::move(base);
}

// ---------------------------------------------------------------------------
// ImageService

absl::StatusOr<FilesystemUsage> InMemoryRuntime::GetContainerWritableLayer(
    const std::string& container_id) {
  if (absl::Status s = Enter("ContainerStats"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  if (!containers_.contains(container_id)) return ContainerNotFound(container_id);
  return FilesystemUsage{
      .timestamp = NowNanos(), .used_bytes = kWritableLayerBytes, .inodes_used = 3};
}

absl::StatusOr<ImageFsInfo> InMemoryRuntime::GetImageFsInfo() {
  if (absl::Status s = Enter("ImageFsInfo"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  FilesystemUsage fs{.timestamp = NowNanos(),
                     .used_bytes = images_.size() * kImageSize,
                     .inodes_used = images_.size()};
  return ImageFsInfo{.image_filesystems = {fs}, .container_filesystems = {}};
}

absl::StatusOr<std::vector<Image>> InMemoryRuntime::ListImages() {
  if (absl::Status s = Enter("ListImages"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  std::vector<Image> out;
  out.reserve(images_.size());
  for (const auto& [ref, image] : images_) {
    out.push_back(Image{.id = image.id, .repo_tags = {image.ref}, .size = kImageSize});
  }
  return out;
}

absl::StatusOr<std::optional<Image>> InMemoryRuntime::GetImageStatus(const ImageSpec& image) {
  if (absl::Status s = Enter("GetImageStatus"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  const ImageRecord* found = FindImageLocked(image.image);
  if (found == nullptr) return std::optional<Image>();
  return std::optional<Image>(Image{.id = found->id,
                                    .repo_tags = {found->ref},
                                    .size = kImageSize,
                                    .uid = found->uid,
                                    .username = found->username});
}

absl::StatusOr<std::string> InMemoryRuntime::PullImage(const ImageSpec& image) {
  if (absl::Status s = Enter("PullImage"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  std::string ref = NormalizeRef(image.image);
  if (!pullable_.contains(ref)) {
    return absl::NotFoundError(
        absl::StrCat("pull access denied, repository does not exist or may require authorization: ",
                     image.image));
  }
  auto [it, inserted] = images_.try_emplace(ref);
  if (inserted) it->second = ImageRecord{.id = ImageIdFor(ref), .ref = ref};
  return it->second.id;
}

absl::Status InMemoryRuntime::RemoveImage(const ImageSpec& image) {
  if (absl::Status s = Enter("RemoveImage"); !s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  const ImageRecord* found = FindImageLocked(image.image);
  if (found != nullptr) {
    std::string ref = found->ref;
    images_.erase(ref);
  }
  return absl::OkStatus();  // absent: OK, as containerd
}

// ---------------------------------------------------------------------------
// Knobs

void InMemoryRuntime::AddImage(const std::string& ref) {
  std::lock_guard<std::mutex> l(mu_);
  std::string n = NormalizeRef(ref);
  auto [it, inserted] = images_.try_emplace(n);
  if (inserted) it->second = ImageRecord{.id = ImageIdFor(n), .ref = n};
}

void InMemoryRuntime::SetImageUser(const std::string& ref, std::optional<int64_t> uid,
                                   std::string username) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = images_.find(NormalizeRef(ref));
  if (it == images_.end()) return;
  it->second.uid = uid;
  it->second.username = std::move(username);
}

void InMemoryRuntime::AddPullableImage(const std::string& ref) {
  std::lock_guard<std::mutex> l(mu_);
  pullable_.insert(NormalizeRef(ref));
}

void InMemoryRuntime::SetExitOnStart(const std::string& container_name, int32_t exit_code,
                                     std::string reason) {
  std::lock_guard<std::mutex> l(mu_);
  exit_on_start_[container_name] = ExitOnStart{exit_code, std::move(reason)};
}

void InMemoryRuntime::ClearExitOnStart(const std::string& container_name) {
  std::lock_guard<std::mutex> l(mu_);
  exit_on_start_.erase(container_name);
}

void InMemoryRuntime::SetIgnoresTerm(const std::string& container_name, bool ignores) {
  std::lock_guard<std::mutex> l(mu_);
  if (ignores) {
    ignores_term_.insert(container_name);
  } else {
    ignores_term_.erase(container_name);
  }
}

void InMemoryRuntime::SetExecHandler(const std::string& container_name, ExecHandler fn) {
  std::lock_guard<std::mutex> l(mu_);
  if (fn) {
    exec_handlers_[container_name] = std::move(fn);
  } else {
    exec_handlers_.erase(container_name);
  }
}

absl::Status InMemoryRuntime::ExitContainer(const std::string& id, int32_t exit_code,
                                            std::string reason) {
  std::vector<std::string> exited;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return ContainerNotFound(id);
    if (it->second.state != ContainerState::kRunning) {
      return absl::FailedPreconditionError(
          absl::StrCat("container \"", id, "\" is in ", StateName(it->second.state), " state"));
    }
    ExitLocked(it->second, exit_code, std::move(reason), exited);
  }
  NotifyExited(exited);
  return absl::OkStatus();
}

absl::Status InMemoryRuntime::AppendLog(const std::string& container_id, std::string_view text) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return ContainerNotFound(container_id);
  it->second.log.append(text);
  return absl::OkStatus();
}

absl::StatusOr<std::string> InMemoryRuntime::ReadLog(const std::string& container_id) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return ContainerNotFound(container_id);
  return it->second.log;
}

void InMemoryRuntime::InjectError(const std::string& method, absl::Status error, int times) {
  if (times == 0 || error.ok()) return;
  std::lock_guard<std::mutex> l(mu_);
  errors_[method].push_back(InjectedError{std::move(error), times});
}

void InMemoryRuntime::ClearErrors() {
  std::lock_guard<std::mutex> l(mu_);
  errors_.clear();
}

void InMemoryRuntime::SetLatency(const std::string& method, absl::Duration latency) {
  std::lock_guard<std::mutex> l(mu_);
  if (latency <= absl::ZeroDuration()) {
    latency_.erase(method);
  } else {
    latency_[method] = latency;
  }
}

void InMemoryRuntime::SetDown(bool down) {
  std::lock_guard<std::mutex> l(mu_);
  down_ = down;
}

void InMemoryRuntime::SetNetworkReady(bool ready) {
  std::lock_guard<std::mutex> l(mu_);
  network_ready_ = ready;
}

// ---------------------------------------------------------------------------
// Introspection

int InMemoryRuntime::CallCount(const std::string& method) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = call_counts_.find(method);
  return it == call_counts_.end() ? 0 : it->second;
}

int64_t InMemoryRuntime::LastStopTimeout(const std::string& container_id) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = stop_timeouts_.find(container_id);
  return it == stop_timeouts_.end() ? -1 : it->second;
}

std::vector<std::string> InMemoryRuntime::ContainerIds() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  out.reserve(containers_.size());
  for (const auto& [id, c] : containers_) out.push_back(id);
  return out;
}

std::vector<std::string> InMemoryRuntime::SandboxIds() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  out.reserve(sandboxes_.size());
  for (const auto& [id, s] : sandboxes_) out.push_back(id);
  return out;
}

size_t InMemoryRuntime::RunningContainerCount() const {
  std::lock_guard<std::mutex> l(mu_);
  size_t n = 0;
  for (const auto& [id, c] : containers_) n += c.state == ContainerState::kRunning ? 1 : 0;
  return n;
}

absl::StatusOr<ContainerConfig> InMemoryRuntime::GetContainerConfig(
    const std::string& container_id) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = containers_.find(container_id);
  if (it == containers_.end()) return ContainerNotFound(container_id);
  return it->second.config;
}

absl::StatusOr<PodSandboxConfig> InMemoryRuntime::GetPodSandboxConfig(
    const std::string& pod_sandbox_id) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = sandboxes_.find(pod_sandbox_id);
  if (it == sandboxes_.end()) return SandboxNotFound(pod_sandbox_id);
  return it->second.config;
}

void InMemoryRuntime::SetExitListener(ExitListener l) {
  std::lock_guard<std::mutex> lock(mu_);
  exit_listener_ = std::move(l);
}

}  // namespace cubelet::cri
