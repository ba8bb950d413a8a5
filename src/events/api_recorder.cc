#include "events/api_recorder.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/log.h"
#include "util/random.h"

namespace cubelet::events {
namespace {

using nlohmann::json;

// How long the idle thread waits before looking again on its own; an event
// wakes it at once. Finite so that wait arithmetic never meets infinity.
constexpr absl::Duration kIdleWait = absl::Minutes(10);

std::string EventsPath(const std::string& ns) {
  return absl::StrCat("/api/v1/namespaces/", ns, "/events");
}

// Whether trying the same write again later may succeed. client-go retries
// what is not an API Status (no connection, timeouts); its REST client has
// already retried 429 and 5xx answers that carry Retry-After, which
// CurlApiClient does not, so they are retried here. Any other answer is the
// API server refusing this event (invalid, forbidden, AlreadyExists, a
// terminating namespace) and would be refused again.
bool MayPass(const absl::Status& status) {
  const int code = client::HttpCodeOf(status);
  return code == 0 || code == 429 || code >= 500;
}

}  // namespace

ApiEventRecorder::ApiEventRecorder(client::ApiClient* client, Clock* clock,
                                   ApiEventRecorderOptions options)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      correlator_(clock, options_.correlator),
      wake_(CancelToken::Create()) {}

ApiEventRecorder::~ApiEventRecorder() { Stop(); }

void ApiEventRecorder::Event(const ObjectReference& object, std::string_view type,
                             std::string_view reason, std::string_view message) {
  if (type != kNormal && type != kWarning) {
    LOG(ERROR) << "Unsupported event type: '" << type << "' (reason " << reason << ")";
    return;
  }
  ApiEvent event =
      MakeEvent(object, type, reason, message, clock_->Now(), options_.component, options_.host);
  // The kubelet's broadcaster logs every event at -v=3 (StartStructuredLogging).
  VLOG(3) << "Event occurred: " << FormatEvent(event);
  CancelTokenPtr wake;
  bool stopped = false;
  {
    MutexLock lock(&mu_);
    stopped = stopped_;
    if (!stopped && queue_.size() < options_.queue_capacity) {
      queue_.push_back(event);
      wake = wake_;
    } else {
      ++dropped_;
    }
  }
  if (wake == nullptr) {
    LOG(WARNING) << "Unable to record event: "
                 << (stopped ? "the recorder is stopped" : "too many queued events")
                 << ", dropped event " << FormatEvent(event);
    return;
  }
  wake->Cancel();
}

absl::StatusOr<json> ApiEventRecorder::Call(client::Request request) {
  {
    MutexLock lock(&mu_);
    ++writes_;
  }
  return client_->Call(request);
}

void ApiEventRecorder::CountDropped(int64_t n) {
  MutexLock lock(&mu_);
  dropped_ += n;
}

ApiEventRecorder::Outcome ApiEventRecorder::Write(Pending& pending) {
  ApiEvent& event = pending.event;
  absl::StatusOr<json> result = absl::UnknownError("not sent");
  if (!pending.patch.is_null()) {
    result = Call({.verb = client::Verb::kPatch,
                   .path = absl::StrCat(EventsPath(event.namespace_), "/", event.name),
                   .body = pending.patch,
                   .patch_type = client::PatchType::kStrategicMerge});
    // Deleted (events expire after an hour) or never created: create it, and
    // go straight to creating on a retry.
    if (client::IsNotFound(result.status())) pending.patch = nullptr;
  }
  if (pending.patch.is_null()) {
    event.resource_version.clear();
    result = Call({.verb = client::Verb::kPost,
                   .path = EventsPath(event.namespace_),
                   .body = EventToJson(event)});
  }
  if (result.ok()) {
    // Later duplicates patch the object the API server has: take its name,
    // resourceVersion and count when the answer carries them.
    ApiEvent written = event;
    if (result->is_object()) {
      if (auto md = result->find("metadata"); md != result->end() && md->is_object()) {
        if (auto it = md->find("name"); it != md->end() && it->is_string()) {
          written.name = it->get<std::string>();
        }
        if (auto it = md->find("resourceVersion"); it != md->end() && it->is_string()) {
          written.resource_version = it->get<std::string>();
        }
      }
      if (auto it = result->find("count"); it != result->end() && it->is_number_integer()) {
        written.count = it->get<int32_t>();
      }
    }
    correlator_.UpdateState(written);
    return Outcome::kWritten;
  }
  const absl::Status& status = result.status();
  if (MayPass(status)) {
    LOG(WARNING) << "Unable to write event " << FormatEvent(event) << ": " << status.message()
                 << " (may retry after sleeping)";
    return Outcome::kRetry;
  }
  if (client::IsAlreadyExists(status)) {
    VLOG(5) << "Server rejected event " << FormatEvent(event) << ": " << status.message()
            << " (will not retry!)";
  } else {
    LOG(ERROR) << "Server rejected event " << FormatEvent(event) << ": " << status.message()
               << " (will not retry!)";
  }
  return Outcome::kRefused;
}

int ApiEventRecorder::SyncOnce() {
  MutexLock sync(&sync_mu_);
  int64_t writes_before = 0;
  // Only what is queued now: a steady stream of new events must not keep
  // this call (and Stop) from returning.
  size_t budget = 0;
  {
    MutexLock lock(&mu_);
    writes_before = writes_;
    budget = queue_.size();
  }
  while (!stopping_.load()) {
    if (!head_.has_value()) {
      if (budget == 0) break;
      ApiEvent event;
      {
        MutexLock lock(&mu_);
        if (queue_.empty()) break;
        event = std::move(queue_.front());
        queue_.pop_front();
      }
      --budget;
      CorrelateResult correlated = correlator_.Correlate(event);
      if (correlated.skip) {
        VLOG(4) << "Event filtered as spam: " << FormatEvent(event);
        CountDropped(1);
        continue;
      }
      head_ = Pending{.event = std::move(correlated.event), .patch = std::move(correlated.patch)};
    }
    if (head_->retry_at > clock_->Now()) break;
    const Outcome outcome = Write(*head_);
    if (outcome == Outcome::kRetry && ++head_->tries < options_.max_tries) {
      absl::Duration delay = options_.retry_sleep;
      // Randomize the first wait so that nodes that lost the API server
      // together do not come back in step.
      if (head_->tries == 1) delay = delay * RandomUnit();
      head_->retry_at = clock_->Now() + delay;
      break;
    }
    if (outcome == Outcome::kRetry) {
      LOG(ERROR) << "Unable to write event " << FormatEvent(head_->event)
                 << " (retry limit exceeded!)";
    }
    if (outcome != Outcome::kWritten) CountDropped(1);
    head_.reset();
  }
  MutexLock lock(&mu_);
  next_retry_ = head_.has_value() ? head_->retry_at : absl::InfiniteFuture();
  return static_cast<int>(writes_ - writes_before);
}

int64_t ApiEventRecorder::Writes() const {
  MutexLock lock(&mu_);
  return writes_;
}

int64_t ApiEventRecorder::Dropped() const {
  MutexLock lock(&mu_);
  return dropped_;
}

void ApiEventRecorder::Start() {
  if (thread_.joinable() || stopping_.load()) return;
  thread_ = std::thread([this] { Run(); });
}

void ApiEventRecorder::Stop() {
  // stopping_ before reading wake_: the thread either sees it, or has
  // already made the wake_ read here, which is then cancelled.
  stopping_.store(true);
  CancelTokenPtr wake;
  {
    MutexLock lock(&mu_);
    stopped_ = true;
    wake = wake_;
  }
  wake->Cancel();
  if (thread_.joinable()) thread_.join();
  int64_t discarded = 0;
  {
    MutexLock sync(&sync_mu_);
    if (head_.has_value()) ++discarded;
    head_.reset();
  }
  MutexLock lock(&mu_);
  discarded += static_cast<int64_t>(queue_.size());
  queue_.clear();
  next_retry_ = absl::InfiniteFuture();
  dropped_ += discarded;
  if (discarded > 0) {
    LOG(WARNING) << "Event recorder stopped with " << discarded << " events not written";
  }
}

void ApiEventRecorder::Run() {
  while (!stopping_.load()) {
    SyncOnce();
    CancelTokenPtr wake;
    absl::Duration wait;
    {
      MutexLock lock(&mu_);
      wake_ = CancelToken::Create();
      wake = wake_;
      if (next_retry_ != absl::InfiniteFuture()) {
        // Whatever is queued waits behind the event being retried.
        wait = std::max(absl::ZeroDuration(), next_retry_ - clock_->Now());
      } else {
        wait = queue_.empty() ? kIdleWait : absl::ZeroDuration();
      }
    }
    if (stopping_.load()) break;
    if (wait > absl::ZeroDuration()) clock_->SleepFor(wait, wake);
  }
}

}  // namespace cubelet::events
