#include "apiobjects/service_store.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cubelet::apiobjects {
namespace {

std::string KeyOf(const Service& s) { return absl::StrCat(s.namespace_, "/", s.name); }

}  // namespace

ServiceStore::ServiceStore(client::ApiClient* client, Clock* clock) {
  client::ReflectorOptions options;
  options.list_path = "/api/v1/services";
  options.name = "services";
  options.clock = clock;
  reflector_ = std::make_unique<client::Reflector>(client, options, this);
}

ServiceStore::~ServiceStore() { Stop(); }

void ServiceStore::Start() {
  if (thread_.joinable()) return;
  cancel_ = CancelToken::Create();
  thread_ = std::thread([this] { reflector_->Run(cancel_); });
}

void ServiceStore::Stop() {
  if (!thread_.joinable()) return;
  cancel_->Cancel();
  thread_.join();
}

absl::StatusOr<std::vector<Service>> ServiceStore::ListServices() const {
  MutexLock l(&mu_);
  if (!synced_) {
    return absl::UnavailableError(
        "services have not yet been read at least once, cannot construct envvars");
  }
  std::vector<Service> out;
  out.reserve(services_.size());
  for (const auto& [key, s] : services_) out.push_back(s);
  return out;
}

void ServiceStore::Replace(std::vector<nlohmann::json> items, const std::string&) {
  absl::flat_hash_map<std::string, Service> fresh;
  for (const nlohmann::json& item : items) {
    Service s = DecodeService(item);
    fresh[KeyOf(s)] = std::move(s);
  }
  MutexLock l(&mu_);
  services_ = std::move(fresh);
  synced_ = true;
}

void ServiceStore::Add(const nlohmann::json& object) { Update(object); }

void ServiceStore::Update(const nlohmann::json& object) {
  Service s = DecodeService(object);
  MutexLock l(&mu_);
  services_[KeyOf(s)] = std::move(s);
}

void ServiceStore::Delete(const nlohmann::json& object) {
  Service s = DecodeService(object);
  MutexLock l(&mu_);
  services_.erase(KeyOf(s));
}

}  // namespace cubelet::apiobjects
