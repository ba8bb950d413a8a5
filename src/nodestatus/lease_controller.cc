#include "nodestatus/lease_controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "util/log.h"

namespace cubelet::nodestatus {
namespace {

using nlohmann::json;

constexpr char kNamespace[] = "kube-node-lease";
constexpr int kMaxUpdateRetries = 5;
constexpr absl::Duration kErrorBackoffInitial = absl::Milliseconds(200);

}  // namespace

std::string FormatMicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

LeaseController::LeaseController(client::ApiClient* client, Clock* clock, LeaseOptions options,
                                 std::function<std::string()> node_uid)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      node_uid_(std::move(node_uid)),
      path_(absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", kNamespace, "/leases/",
                         options_.node_name)) {}

LeaseController::~LeaseController() { Stop(); }

void LeaseController::Start() {
  if (thread_.joinable()) return;
  cancel_ = CancelToken::Create();
  thread_ = std::thread([this] { Run(); });
}

void LeaseController::Stop() {
  if (!thread_.joinable()) return;
  cancel_->Cancel();
  thread_.join();
}

absl::Time LeaseController::LastRenewal() const {
  MutexLock lock(&mu_);
  return last_renewal_;
}

void LeaseController::Fill(json& lease, absl::Time now) const {
  json& spec = lease["spec"];
  spec["holderIdentity"] = options_.node_name;
  spec["leaseDurationSeconds"] = options_.lease_duration_seconds;
  spec["renewTime"] = FormatMicroTime(now);
  const std::string uid = node_uid_ ? node_uid_() : "";
  json& meta = lease["metadata"];
  if (!uid.empty() && !meta.contains("ownerReferences")) {
    meta["ownerReferences"] = json::array(
        {{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", options_.node_name}, {"uid", uid}}});
  }
}

json LeaseController::NewLease(absl::Time now) const {
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", options_.node_name}, {"namespace", kNamespace}}},
                {"spec", json::object()}};
  Fill(lease, now);
  return lease;
}

absl::Status LeaseController::SyncOnce() {
  json current;
  {
    MutexLock lock(&mu_);
    current = latest_;
  }
  absl::Status last;
  for (int attempt = 0; attempt < kMaxUpdateRetries; ++attempt) {
    if (current.is_null()) {
      absl::StatusOr<json> got = client_->Call({.verb = client::Verb::kGet, .path = path_});
      if (got.ok()) {
        current = std::move(*got);
      } else if (client::IsNotFound(got.status())) {
        const absl::Time now = clock_->Now();
        absl::StatusOr<json> created =
            client_->Call({.verb = client::Verb::kPost,
                           .path = absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/",
                                                kNamespace, "/leases"),
                           .body = NewLease(now)});
        if (created.ok()) {
          MutexLock lock(&mu_);
          latest_ = std::move(*created);
          last_renewal_ = now;
          return absl::OkStatus();
        }
        last = created.status();
        if (!client::IsAlreadyExists(last)) break;
        continue;  // someone made it meanwhile: read it
      } else {
        last = got.status();
        break;
      }
    }
    const absl::Time now = clock_->Now();
    Fill(current, now);
    absl::StatusOr<json> updated =
        client_->Call({.verb = client::Verb::kPut, .path = path_, .body = current});
    if (updated.ok()) {
      MutexLock lock(&mu_);
      latest_ = std::move(*updated);
      last_renewal_ = now;
      return absl::OkStatus();
    }
    last = updated.status();
    if (!client::IsConflict(last) && !client::IsNotFound(last)) break;
    current = json();  // stale or gone: read it again
  }
  {
    MutexLock lock(&mu_);
    latest_ = json();
  }
  return absl::Status(last.code(), absl::StrCat("failed to update lease ", kNamespace, "/",
                                                options_.node_name, ": ", last.message()));
}

void LeaseController::Run() {
  absl::Duration backoff = kErrorBackoffInitial;
  while (!cancel_->IsCancelled()) {
    absl::Status s = SyncOnce();
    absl::Duration wait = options_.renew_interval;
    if (!s.ok()) {
      LOG(WARNING) << s.message();
      wait = std::min(backoff, options_.renew_interval);
      backoff = std::min(backoff * 2, options_.renew_interval);
    } else {
      backoff = kErrorBackoffInitial;
    }
    clock_->SleepFor(wait, cancel_);
  }
}

}  // namespace cubelet::nodestatus
