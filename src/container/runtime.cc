#include "container/runtime.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cubelet::container {

absl::StatusOr<std::vector<PodPtr>> Runtime::ListPodsForRelist() {
  absl::StatusOr<std::vector<Pod>> pods = GetPods(/*all=*/true);
  if (!pods.ok()) return pods.status();
  std::vector<PodPtr> out;
  out.reserve(pods->size());
  for (Pod& p : *pods) out.push_back(std::make_shared<const Pod>(std::move(p)));
  return out;
}

absl::Status PodSyncResult::Error() const {
  for (const SyncResult& r : results) {
    if (!r.error.ok()) return r.error;
  }
  return sync_error;
}

bool PodSyncResult::OnlyBackOffErrors() const {
  if (!sync_error.ok()) return false;
  for (const SyncResult& r : results) {
    if (r.error.ok()) continue;
    if (r.reason != kCrashLoopBackOff && r.reason != kImagePullBackOff) return false;
  }
  return true;
}

std::optional<absl::Time> PodSyncResult::MinBackoffExpiration() const {
  std::optional<absl::Time> earliest;
  for (const SyncResult& r : results) {
    if (r.error.ok() || !r.backoff_expiration.has_value()) continue;
    if (!earliest.has_value() || *r.backoff_expiration < *earliest) {
      earliest = r.backoff_expiration;
    }
  }
  return earliest;
}

namespace {
constexpr char kBackoffExpirationPayload[] = "type.cubelet.io/backoff-expiration";
constexpr char kNetworkNotReadyPayload[] = "type.cubelet.io/network-not-ready";
}  // namespace

absl::Status NetworkNotReadyError(absl::string_view detail) {
  absl::Status error = absl::UnavailableError(absl::StrCat(kNetworkNotReadyErrorMsg, ": ", detail));
  error.SetPayload(kNetworkNotReadyPayload, absl::Cord());
  return error;
}

bool IsNetworkNotReady(const absl::Status& error) {
  return error.GetPayload(kNetworkNotReadyPayload).has_value();
}

absl::Status WithBackoffExpiration(absl::Status error, absl::Time expiration) {
  if (error.ok()) return error;
  error.SetPayload(kBackoffExpirationPayload,
                   absl::Cord(absl::StrCat(absl::ToUnixNanos(expiration))));
  return error;
}

std::optional<absl::Time> BackoffExpiration(const absl::Status& error) {
  auto payload = error.GetPayload(kBackoffExpirationPayload);
  if (!payload.has_value()) return std::nullopt;
  int64_t nanos = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &nanos)) return std::nullopt;
  return absl::FromUnixNanos(nanos);
}

}  // namespace cubelet::container
