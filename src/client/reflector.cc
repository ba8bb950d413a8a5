#include "client/reflector.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/log.h"
#include "util/random.h"

namespace cubelet::client {
namespace {

using nlohmann::json;

// A watch that ends sooner than this without an event is an error
// (client-go's "very short watch").
constexpr absl::Duration kShortWatch = absl::Seconds(1);

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string QueryEscape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// "UNAVAILABLE: message" (without the payloads operator<< would add).
std::string Describe(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

// metadata.resourceVersion of an object or list; "" when absent.
std::string ResourceVersionOf(const json& object) {
  if (!object.is_object()) return "";
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto rv = meta->find("resourceVersion");
  return rv != meta->end() && rv->is_string() ? rv->get<std::string>() : "";
}

// The error an ERROR watch event carries (its object is a metav1.Status).
absl::Status StatusOfErrorEvent(const json& object) {
  int code = 500;
  if (object.is_object()) {
    auto it = object.find("code");
    if (it != object.end() && it->is_number_integer()) code = it->get<int>();
  }
  return StatusFromHttp(code, object.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

Reflector::Reflector(ApiClient* client, ReflectorOptions options, ReflectorHandler* handler)
    : client_(client),
      options_(std::move(options)),
      handler_(handler),
      clock_(options_.clock != nullptr ? options_.clock : RealClock::Get()),
      name_(options_.name.empty() ? options_.list_path : options_.name),
      backoff_(options_.initial_backoff) {}

std::string Reflector::LastSyncResourceVersion() const {
  MutexLock lock(&mu_);
  return resource_version_;
}

bool Reflector::HasSynced() const {
  MutexLock lock(&mu_);
  return synced_;
}

Reflector::Health Reflector::health() const {
  MutexLock lock(&mu_);
  return Health{.synced = synced_, .last_success = last_success_, .last_error = last_error_};
}

void Reflector::Succeeded() {
  const absl::Time now = clock_->Now();
  MutexLock lock(&mu_);
  last_success_ = now;
  last_error_ = absl::OkStatus();
}

void Reflector::Failed(const absl::Status& status) {
  MutexLock lock(&mu_);
  last_error_ = status;
}

std::string Reflector::PathWith(const std::string& query) const {
  if (query.empty()) return options_.list_path;
  const char sep = options_.list_path.find('?') == std::string::npos ? '?' : '&';
  return absl::StrCat(options_.list_path, std::string(1, sep), query);
}

absl::Duration Reflector::NextBackoff() {
  const absl::Time now = clock_->Now();
  if (now - last_backoff_start_ > options_.backoff_reset) backoff_ = options_.initial_backoff;
  last_backoff_start_ = now;
  absl::Duration delay = backoff_;
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  if (options_.backoff_jitter > 0) delay += delay * (RandomUnit() * options_.backoff_jitter);
  return delay;
}

absl::Status Reflector::List(const CancelTokenPtr& cancel) {
  // client-go's relistResourceVersion.
  std::string version;
  if (!version_unavailable_) {
    version = LastSyncResourceVersion();
    if (version.empty()) version = "0";
  }
  auto list = [&](const std::string& rv) {
    return client_->Call(Request{
        .verb = Verb::kGet,
        .path = PathWith(rv.empty() ? "" : absl::StrCat("resourceVersion=", QueryEscape(rv))),
        .timeout = options_.list_timeout});
  };
  absl::StatusOr<json> result = list(version);
  if (!result.ok() && IsGone(result.status()) && !version.empty()) {
    VLOG(2) << name_ << ": resourceVersion " << version
            << " is gone; listing again without one: " << result.status().message();
    version_unavailable_ = true;
    result = list("");
  }
  if (!result.ok()) return result.status();
  if (cancel->IsCancelled()) return CancelledError("list cancelled");
  if (!result->is_object()) {
    return absl::InternalError("the list response is not an object");
  }
  std::vector<json> items;
  if (auto it = result->find("items"); it != result->end() && !it->is_null()) {
    if (!it->is_array()) {
      return absl::InternalError("the list's items are not an array");
    }
    items.reserve(it->size());
    for (json& item : *it) items.push_back(std::move(item));
  }
  const std::string list_version = ResourceVersionOf(*result);
  const size_t count = items.size();
  handler_->Replace(std::move(items), list_version);
  {
    MutexLock lock(&mu_);
    resource_version_ = list_version;
    synced_ = true;
  }
  version_unavailable_ = false;
  Succeeded();
  VLOG(3) << name_ << ": listed " << count << " items at resourceVersion " << list_version;
  return absl::OkStatus();
}

Reflector::WatchResult Reflector::WatchOnce(const CancelTokenPtr& cancel) {
  const int64_t timeout_seconds =
      std::max<int64_t>(1, absl::ToInt64Seconds(options_.min_watch_timeout * (1.0 + RandomUnit())));
  const std::string version = LastSyncResourceVersion();
  Request request{.verb = Verb::kGet,
                  .path = PathWith(absl::StrCat(
                      "watch=true&allowWatchBookmarks=true&timeoutSeconds=", timeout_seconds,
                      "&resourceVersion=", QueryEscape(version)))};

  // A token of this watch's own, so an ERROR event can end it; Run's token
  // cancels it too (through a weak_ptr: the parent keeps its callbacks).
  CancelTokenPtr stop = CancelToken::Create();
  cancel->OnCancel([weak = std::weak_ptr<CancelToken>(stop)] {
    if (CancelTokenPtr token = weak.lock()) token->Cancel();
  });

  const absl::Time start = clock_->Now();
  size_t events = 0;
  absl::Status event_error;
  auto on_event = [&](const WatchEvent& event) {
    if (stop->IsCancelled()) return;  // ending: the rest is not ours to apply
    if (event.type == "ERROR") {
      event_error = StatusOfErrorEvent(event.object);
      stop->Cancel();
      return;
    }
    ++events;
    const bool apply = event.type == "ADDED" || event.type == "MODIFIED" || event.type == "DELETED";
    if (!apply && event.type != "BOOKMARK") {
      LOG(WARNING) << name_ << ": ignoring a watch event of unknown type \"" << event.type << "\"";
      return;
    }
    if (!event.object.is_object()) {
      LOG(WARNING) << name_ << ": ignoring a " << event.type << " watch event without an object";
      return;
    }
    if (event.type == "ADDED") {
      handler_->Add(event.object);
    } else if (event.type == "MODIFIED") {
      handler_->Update(event.object);
    } else if (event.type == "DELETED") {
      handler_->Delete(event.object);
    }
    if (std::string rv = ResourceVersionOf(event.object); !rv.empty()) {
      MutexLock lock(&mu_);
      resource_version_ = std::move(rv);
    }
    Succeeded();
  };
  absl::Status status = client_->Watch(request, on_event, stop);
  if (cancel->IsCancelled()) return {WatchEnd::kCancelled};
  if (!event_error.ok()) status = event_error;  // not the Cancelled it caused

  const bool short_lived = events == 0 && clock_->Now() - start < kShortWatch;
  if (status.ok() && short_lived) {
    status = absl::UnavailableError("very short watch: the server ended it at once");
  }
  if (status.ok()) {
    Succeeded();
    VLOG(3) << name_ << ": watch ended after " << events << " events; watching again from "
            << LastSyncResourceVersion();
    return {WatchEnd::kEnded};
  }
  Failed(status);
  if (IsGone(status)) {
    VLOG(2) << name_ << ": watch from resourceVersion " << version
            << " is gone, listing again: " << status.message();
    return {WatchEnd::kGone, short_lived};
  }
  LOG(WARNING) << name_ << ": watch ended with: " << Describe(status);
  return {WatchEnd::kError, short_lived};
}

void Reflector::Run(const CancelTokenPtr& cancel_or_null) {
  const CancelTokenPtr cancel = cancel_or_null != nullptr ? cancel_or_null : CancelToken::Create();
  bool need_list = true;
  auto wait = [&] {
    const absl::Duration delay = NextBackoff();
    VLOG(2) << name_ << ": next list in " << absl::FormatDuration(delay);
    return clock_->SleepFor(delay, cancel);
  };
  while (!cancel->IsCancelled()) {
    if (need_list) {
      absl::Status listed = List(cancel);
      if (cancel->IsCancelled()) return;
      if (!listed.ok()) {
        LOG(WARNING) << name_ << ": list failed: " << Describe(listed);
        Failed(listed);
        if (!wait()) return;
        continue;
      }
      need_list = false;
    }
    const WatchResult watched = WatchOnce(cancel);
    switch (watched.end) {
      case WatchEnd::kCancelled:
        return;
      case WatchEnd::kEnded:
        break;
      case WatchEnd::kGone:
        need_list = true;
        // A watch refused at once from a fresh version: do not spin.
        if (watched.short_lived && !wait()) return;
        break;
      case WatchEnd::kError:
        need_list = true;
        if (!wait()) return;
        break;
    }
  }
}

}  // namespace cubelet::client
