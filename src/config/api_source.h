// ApiSource: the pods the API server binds to this node (upstream
// pkg/kubelet/config/apiserver.go). A client::Reflector lists and watches
// /api/v1/pods?fieldSelector=spec.nodeName=<node>; after every change the
// source sends its complete set as one kSet PodUpdate (source "api"), as
// upstream's UndeltaStore does, and PodConfig turns it into ADD / UPDATE /
// DELETE / REMOVE for the sync loop.
//
// Each object is decoded once, when it arrives. Mirror pods (annotation
// kubernetes.io/config.mirror) are the API's view of this node's static pods,
// never workloads: they are kept out of the set and handed, all of them after
// every change to one, to the mirror handler (the mirror pod controller). A pod using fields
// cubelet does not implement is still handed over, with Pod::unsupported saying which, so admission
// rejects it with that reason instead of running it differently from its spec. An object that does
// not decode at all is reported through `on_error` and left out.
//
// Ownership: borrows the client and clock; owns the reflector and its
// thread. Thread-safety: Start/Stop from one thread; HasSynced and Healthy
// from any thread; the callbacks run on the source's thread.
#ifndef CUBELET_CONFIG_API_SOURCE_H_
#define CUBELET_CONFIG_API_SOURCE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "client/api_client.h"
#include "client/reflector.h"
#include "config/pod_update.h"
#include "nlohmann/json.hpp"
#include "util/cancellation.h"
#include "util/clock.h"
#include "util/mutex.h"

namespace cubelet::config {

inline constexpr char kApiSource[] = "api";

class ApiSource final : public client::ReflectorHandler {
 public:
  using UpdateCallback = std::function<void(const PodUpdate&)>;
  using ErrorCallback = std::function<void(const std::string& message)>;
  using MirrorCallback = std::function<void(const std::vector<api::PodPtr>& mirrors)>;

  ApiSource(client::ApiClient* client, Clock* clock, std::string node_name,
            UpdateCallback on_update, ErrorCallback on_error = nullptr);
  ~ApiSource() override;

  ApiSource(const ApiSource&) = delete;
  ApiSource& operator=(const ApiSource&) = delete;

  // Before Start.
  void SetMirrorHandler(MirrorCallback on_mirrors) { on_mirrors_ = std::move(on_mirrors); }

  void Start();
  void Stop();

  // True once the first list has been delivered.
  bool HasSynced() const;

  // Decodes one API object into a pod for the sync loop; null (and
  // `*error` set) when it cannot be decoded. Exposed for tests.
  static api::PodPtr DecodeApiPod(const nlohmann::json& object, std::string* error);

  // client::ReflectorHandler
  void Replace(std::vector<nlohmann::json> items, const std::string& resource_version) override;
  void Add(const nlohmann::json& object) override;
  void Update(const nlohmann::json& object) override;
  void Delete(const nlohmann::json& object) override;

 private:
  // Returns true when `object` is a mirror pod.
  bool Upsert(const nlohmann::json& object) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendMirrors() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const std::string node_name_;
  const UpdateCallback on_update_;
  const ErrorCallback on_error_;
  MirrorCallback on_mirrors_;
  std::unique_ptr<client::Reflector> reflector_;

  mutable Mutex mu_;
  std::map<std::string, api::PodPtr> pods_ ABSL_GUARDED_BY(mu_);     // by UID
  std::map<std::string, api::PodPtr> mirrors_ ABSL_GUARDED_BY(mu_);  // by UID
  bool synced_ ABSL_GUARDED_BY(mu_) = false;

  CancelTokenPtr cancel_;
  std::thread thread_;
};

}  // namespace cubelet::config

#endif  // CUBELET_CONFIG_API_SOURCE_H_
