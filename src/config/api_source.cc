#include "config/api_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "api/defaults.h"
#include "api/json.h"
#include "api/unsupported.h"
#include "util/log.h"

namespace cubelet::config {
namespace {

using nlohmann::json;

std::string ObjectName(const json& object) {
  const json& meta = object.value("metadata", json::object());
  return absl::StrCat(meta.value("namespace", ""), "/", meta.value("name", ""));
}

bool IsMirrorPod(const json& object) {
  const json& meta = object.value("metadata", json::object());
  return meta.contains("annotations") && meta["annotations"].is_object() &&
         meta["annotations"].contains(api::kConfigMirrorAnnotation);
}

}  // namespace

ApiSource::ApiSource(client::ApiClient* client, Clock* clock, std::string node_name,
                     UpdateCallback on_update, ErrorCallback on_error)
    : clock_(clock),
      node_name_(std::move(node_name)),
      on_update_(std::move(on_update)),
      on_error_(std::move(on_error)) {
  client::ReflectorOptions options;
  options.list_path = absl::StrCat("/api/v1/pods?fieldSelector=spec.nodeName%3D", node_name_);
  options.clock = clock_;
  options.name = "pods";
  reflector_ = std::make_unique<client::Reflector>(client, options, this);
}

ApiSource::~ApiSource() { Stop(); }

void ApiSource::Start() {
  if (thread_.joinable()) return;
  cancel_ = CancelToken::Create();
  thread_ = std::thread([this] { reflector_->Run(cancel_); });
}

void ApiSource::Stop() {
  if (!thread_.joinable()) return;
  cancel_->Cancel();
  thread_.join();
}

bool ApiSource::HasSynced() const {
  MutexLock lock(&mu_);
  return synced_;
}

api::PodPtr ApiSource::DecodeApiPod(const json& object, std::string* error) {
  auto pod = std::make_shared<api::Pod>();
  std::vector<api::FieldError> errors = api::DecodePod(object, *pod);
  if (!errors.empty()) {
    std::vector<std::string> parts;
    for (const api::FieldError& e : errors) parts.push_back(e.ToString());
    *error = absl::StrJoin(parts, "; ");
    return nullptr;
  }
  std::vector<api::FieldError> refused =
      api::RefuseUnsupportedFields(object, *pod, {.from_api_server = true});
  if (!refused.empty()) {
    std::vector<std::string> parts;
    for (const api::FieldError& e : refused) {
      // The pod already comes from the API server: what it lacks is cubelet's.
      parts.push_back(absl::StrReplaceAll(
          e.ToString(), {{": needs cluster mode", ": not supported by cubelet yet"}}));
    }
    pod->unsupported = absl::StrJoin(parts, "; ");
  }
  api::ApplyDefaults(*pod);
  return pod;
}

bool ApiSource::Upsert(const json& object) {
  std::string error;
  const std::string uid = object.value("metadata", json::object()).value("uid", "");
  if (IsMirrorPod(object)) {
    // Only its metadata matters; a spec cubelet cannot decode is no reason to lose it.
    auto mirror = std::make_shared<api::Pod>();
    api::DecodePod(object, *mirror);
    mirrors_[uid] = std::move(mirror);
    return true;
  }
  api::PodPtr pod = DecodeApiPod(object, &error);
  if (pod == nullptr) {
    const std::string message =
        absl::StrCat("pod ", ObjectName(object), " from the API server: ", error);
    LOG(WARNING) << message;
    if (on_error_) on_error_(message);
    pods_.erase(uid);
    return false;
  }
  pods_[uid] = std::move(pod);
  return false;
}

void ApiSource::SendMirrors() {
  if (!on_mirrors_) return;
  std::vector<api::PodPtr> mirrors;
  mirrors.reserve(mirrors_.size());
  for (const auto& [uid, pod] : mirrors_) mirrors.push_back(pod);
  on_mirrors_(mirrors);
}

void ApiSource::Send() {
  PodUpdate update;
  update.op = PodOperation::kSet;
  update.source = kApiSource;
  update.pods.reserve(pods_.size());
  for (const auto& [uid, pod] : pods_) update.pods.push_back(pod);
  on_update_(update);
}

void ApiSource::Replace(std::vector<json> items, const std::string& resource_version) {
  MutexLock lock(&mu_);
  pods_.clear();
  mirrors_.clear();
  for (const json& item : items) Upsert(item);
  synced_ = true;
  VLOG(2) << "API source: " << pods_.size() << " pods and " << mirrors_.size()
          << " mirror pods at resourceVersion " << resource_version;
  SendMirrors();
  Send();
}

void ApiSource::Add(const json& object) {
  MutexLock lock(&mu_);
  if (Upsert(object)) {
    SendMirrors();
  } else {
    Send();
  }
}

void ApiSource::Update(const json& object) {
  MutexLock lock(&mu_);
  if (Upsert(object)) {
    SendMirrors();
  } else {
    Send();
  }
}

void ApiSource::Delete(const json& object) {
  MutexLock lock(&mu_);
  const std::string uid = object.value("metadata", json::object()).value("uid", "");
  if (mirrors_.erase(uid) > 0) {
    SendMirrors();
  } else {
    pods_.erase(uid);
    Send();
  }
}

}  // namespace cubelet::config
