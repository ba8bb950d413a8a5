#include "client/testing/fake_api_client.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace cubelet::client::testing {
namespace {

bool HasPrefix(const std::string& s, std::string_view prefix) {
  return std::string_view(s).starts_with(prefix);
}

}  // namespace

FakeApiClient::FakeApiClient() : shared_(std::make_shared<Shared>()) {}

FakeApiClient::~FakeApiClient() = default;

void FakeApiClient::On(Verb verb, std::string path_prefix, Responder responder) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  routes_.push_back(Route{verb, std::move(path_prefix), std::move(responder)});
}

void FakeApiClient::OnReturn(Verb verb, std::string path_prefix,
                             absl::StatusOr<nlohmann::json> response) {
  On(verb, std::move(path_prefix),
     [response = std::move(response)](const Request&) { return response; });
}

std::vector<Request> FakeApiClient::Requests() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return requests_;
}

std::vector<Request> FakeApiClient::RequestsTo(Verb verb, std::string_view path_prefix) const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  std::vector<Request> out;
  for (const Request& r : requests_) {
    if (r.verb == verb && HasPrefix(r.path, path_prefix)) out.push_back(r);
  }
  return out;
}

void FakeApiClient::ClearRequests() {
  std::lock_guard<std::mutex> lock(shared_->mu);
  requests_.clear();
}

bool FakeApiClient::AwaitRequests(size_t n, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(shared_->mu);
  return shared_->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                              [&] { return requests_.size() >= n; });
}

void FakeApiClient::OnWatch(std::string path_prefix, WatchResponder responder) {
  std::lock_guard<std::mutex> lock(shared_->mu);
  watch_routes_.push_back(WatchRoute{std::move(path_prefix), std::move(responder)});
}

std::optional<Request> FakeApiClient::AwaitWatch(std::string_view path_prefix,
                                                 absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(shared_->mu);
  std::optional<Request> found;
  shared_->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    for (const auto& w : watches_) {
      if (!w->closed && HasPrefix(w->request.path, path_prefix)) {
        found = w->request;
        return true;
      }
    }
    return false;
  });
  return found;
}

size_t FakeApiClient::PushEvent(WatchEvent event, std::string_view path_prefix) {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    for (const auto& w : watches_) {
      if (w->closed || !HasPrefix(w->request.path, path_prefix)) continue;
      w->queue.push_back(event);
      ++n;
    }
  }
  shared_->cv.notify_all();
  return n;
}

size_t FakeApiClient::CloseWatches(absl::Status status, std::string_view path_prefix) {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    for (const auto& w : watches_) {
      if (w->closed || !HasPrefix(w->request.path, path_prefix)) continue;
      w->closed = true;
      w->status = status;
      ++n;
    }
  }
  shared_->cv.notify_all();
  return n;
}

bool FakeApiClient::AwaitDelivered(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(shared_->mu);
  return shared_->cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    for (const auto& w : watches_) {
      if (!w->queue.empty() || w->delivering) return false;
    }
    return true;
  });
}

size_t FakeApiClient::OpenWatches(std::string_view path_prefix) const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  size_t n = 0;
  for (const auto& w : watches_) {
    if (!w->closed && HasPrefix(w->request.path, path_prefix)) ++n;
  }
  return n;
}

size_t FakeApiClient::WatchesStarted() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return watches_started_;
}

absl::StatusOr<nlohmann::json> FakeApiClient::Call(const Request& request) {
  Responder responder;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    requests_.push_back(request);
    for (auto it = routes_.rbegin(); it != routes_.rend(); ++it) {
      if (it->verb == request.verb && HasPrefix(request.path, it->prefix)) {
        responder = it->responder;
        break;
      }
    }
  }
  shared_->cv.notify_all();
  if (!responder) {
    return absl::UnimplementedError(absl::StrCat("FakeApiClient: no responder for ",
                                                 std::string(VerbName(request.verb)), " ",
                                                 request.path));
  }
  return responder(request);
}

absl::Status FakeApiClient::Watch(const Request& request,
                                  const std::function<void(const WatchEvent&)>& on_event,
                                  const CancelTokenPtr& cancel) {
  WatchResponder responder;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    requests_.push_back(request);
    for (auto it = watch_routes_.rbegin(); it != watch_routes_.rend(); ++it) {
      if (HasPrefix(request.path, it->prefix)) {
        responder = it->responder;
        break;
      }
    }
  }
  shared_->cv.notify_all();
  if (responder) {
    if (absl::Status status = responder(request); !status.ok()) return status;
  }
  if (cancel != nullptr) {
    cancel->OnCancel([shared = shared_] {
      { std::lock_guard<std::mutex> lock(shared->mu); }
      shared->cv.notify_all();
    });
  }
  auto watch = std::make_shared<OpenWatch>();
  watch->request = request;
  std::unique_lock<std::mutex> lock(shared_->mu);
  watches_.push_back(watch);
  ++watches_started_;
  shared_->cv.notify_all();

  auto cancelled = [&] { return cancel != nullptr && cancel->IsCancelled(); };
  absl::Status result;
  while (true) {
    shared_->cv.wait(lock, [&] { return cancelled() || !watch->queue.empty() || watch->closed; });
    if (cancelled()) {
      result = CancelledError("watch cancelled");
      break;
    }
    if (!watch->queue.empty()) {
      WatchEvent event = std::move(watch->queue.front());
      watch->queue.pop_front();
      watch->delivering = true;
      lock.unlock();
      on_event(event);
      lock.lock();
      watch->delivering = false;
      shared_->cv.notify_all();
      continue;
    }
    result = watch->status;  // closed and drained
    break;
  }
  watch->closed = true;
  watch->queue.clear();
  watches_.remove(watch);
  lock.unlock();
  shared_->cv.notify_all();
  return result;
}

}  // namespace cubelet::client::testing
