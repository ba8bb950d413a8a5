#include "client/curl_api_client.h"

#include <curl/curl.h>

#include <cstdint>
#include <exception>
#include <mutex>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "util/log.h"

namespace cubelet::client {
namespace {

// Largest response body a Call accepts, and largest error body kept.
constexpr size_t kMaxBody = size_t{256} << 20;
constexpr size_t kMaxErrorBody = size_t{1} << 20;
// Longest watch event line.
constexpr size_t kMaxLine = size_t{64} << 20;
// How long a transfer waits in curl_multi_poll before looking again (a
// Watch's cancellation wakes it sooner).
constexpr int kPollMillis = 1000;
constexpr long kConnectTimeoutMillis = 30'000;
// TCP keepalive of watch connections (client-go's dialer: 30 s).
constexpr long kKeepAliveSeconds = 30;

std::once_flag curl_init_once;
CURLcode curl_init_result = CURLE_OK;

CURLcode GlobalInit() {
  std::call_once(curl_init_once, [] { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return curl_init_result;
}

std::string_view ContentTypeOf(const Request& request) {
  if (request.verb != Verb::kPatch) return "application/json";
  switch (request.patch_type) {
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
  }
  return "application/json";
}

// Debian's Abseil has its own string_view type.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool Is2xx(long code) { return code >= 200 && code <= 299; }

// A watch's cancellation reaches curl_multi_poll through this: the token's
// callback may run after the Watch has returned (tokens keep callbacks), so
// it holds this and not the handles; the Watch clears `multi` before it lets
// the handles go.
struct Wake {
  std::mutex mu;
  CURLM* multi = nullptr;  // guarded by mu
};

}  // namespace

struct CurlApiClient::Handles {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  ~Handles() {
    if (multi != nullptr) curl_multi_cleanup(multi);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }
};

// One request in flight: its handles, what it sends, what came back.
struct CurlApiClient::Transfer {
  std::unique_ptr<Handles> handles;
  std::string url;
  std::string method;
  std::string request_body;
  curl_slist* headers = nullptr;

  // Watch only: where events go. Null for a Call.
  const std::function<void(const WatchEvent&)>* on_event = nullptr;
  bool code_checked = false;
  bool streaming = false;  // a 2xx watch: the body is event lines
  std::string body;        // a Call's body, or a failed watch's error body
  std::string pending;     // a watch's partial line
  size_t scanned = 0;      // bytes of `pending` known to hold no '\n'
  absl::Status error;      // why a callback aborted the transfer

  ~Transfer() { curl_slist_free_all(headers); }

  std::string What() const { return absl::StrCat(method, " ", url); }

  // Delivers one event line; false (with `error`) to abort.
  bool HandleLine(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (absl::StripAsciiWhitespace(Sv(line)).empty()) return true;
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    auto type = parsed.is_object() ? parsed.find("type") : parsed.end();
    if (!parsed.is_object() || type == parsed.end() || !type->is_string()) {
      error = absl::InternalError(absl::StrCat(
          What(),
          ": malformed watch event: ", Sv(line.substr(0, std::min<size_t>(line.size(), 200)))));
      return false;
    }
    WatchEvent event;
    event.type = type->get<std::string>();
    if (auto object = parsed.find("object"); object != parsed.end()) {
      event.object = std::move(*object);
    }
    (*on_event)(event);
    return true;
  }

  bool Write(std::string_view data) {
    if (!code_checked) {
      long code = 0;
      curl_easy_getinfo(handles->easy, CURLINFO_RESPONSE_CODE, &code);
      code_checked = true;
      streaming = on_event != nullptr && Is2xx(code);
    }
    if (!streaming) {
      const size_t limit = on_event != nullptr ? kMaxErrorBody : kMaxBody;
      if (body.size() + data.size() > limit) {
        if (on_event != nullptr) {  // an error body: its start is enough
          body.append(data.substr(0, limit - body.size()));
          return true;
        }
        error = absl::ResourceExhaustedError(
            absl::StrCat(What(), ": response larger than ", limit, " bytes"));
        return false;
      }
      body.append(data);
      return true;
    }
    pending.append(data);
    size_t start = 0;
    for (size_t nl = pending.find('\n', scanned); nl != std::string::npos;
         nl = pending.find('\n', start)) {
      if (!HandleLine(std::string_view(pending).substr(start, nl - start))) return false;
      start = nl + 1;
    }
    pending.erase(0, start);
    scanned = pending.size();
    if (pending.size() > kMaxLine) {
      error = absl::ResourceExhaustedError(
          absl::StrCat(What(), ": watch event longer than ", kMaxLine, " bytes"));
      return false;
    }
    return true;
  }

  static size_t WriteCallback(char* data, size_t size, size_t nmemb, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t n = size * nmemb;
    // Nothing may unwind through libcurl's C frames: on_event is the caller's.
    try {
      if (transfer->Write(std::string_view(data, n))) return n;
    } catch (const std::exception& e) {
      transfer->error = absl::InternalError(absl::StrCat(transfer->What(), ": ", e.what()));
    } catch (...) {
      transfer->error = absl::InternalError(absl::StrCat(transfer->What(), ": exception"));
    }
    return n == 0 ? 1 : 0;  // any other count aborts the transfer
  }
};

absl::StatusOr<std::unique_ptr<CurlApiClient>> CurlApiClient::Create(RestConfig config,
                                                                     Clock* clock) {
  if (!absl::StartsWith(config.server, "https://") && !absl::StartsWith(config.server, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("server \"", config.server, "\": must be an http:// or https:// URL"));
  }
  if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key, and a key its certificate");
  }
  if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
    return absl::InvalidArgumentError(
        "specifying a root certificates file with the insecure flag is not allowed");
  }
  if (CURLcode rc = GlobalInit(); rc != CURLE_OK) {
    return absl::InternalError(absl::StrCat("curl_global_init: ", curl_easy_strerror(rc)));
  }
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info->version_num < 0x074d00) {  // 7.77.0: CURLOPT_CAINFO_BLOB
    return absl::FailedPreconditionError(
        absl::StrCat("libcurl ", info->version, " is too old: 7.77.0 or newer is needed"));
  }
  if (absl::StartsWith(config.server, "https://") && (info->features & CURL_VERSION_SSL) == 0) {
    return absl::FailedPreconditionError("libcurl is built without TLS support");
  }
  return std::unique_ptr<CurlApiClient>(new CurlApiClient(std::move(config), clock));
}

CurlApiClient::CurlApiClient(RestConfig config, Clock* clock)
    : config_(std::move(config)),
      base_url_(absl::StripSuffix(config_.server, "/")),
      limiter_(config_.qps, config_.burst, clock) {}

CurlApiClient::~CurlApiClient() = default;

absl::StatusOr<std::unique_ptr<CurlApiClient::Handles>> CurlApiClient::Acquire() {
  {
    MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Handles> handles = std::move(idle_.back());
      idle_.pop_back();
      return handles;
    }
  }
  auto handles = std::make_unique<Handles>();
  handles->easy = curl_easy_init();
  handles->multi = curl_multi_init();
  if (handles->easy == nullptr || handles->multi == nullptr) {
    return absl::ResourceExhaustedError("cannot create a libcurl handle");
  }
  return handles;
}

void CurlApiClient::Release(std::unique_ptr<Handles> handles) {
  {
    MutexLock lock(&mu_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(std::move(handles));
      return;
    }
  }
  handles.reset();  // outside the lock: closing connections may take a moment
}

absl::Status CurlApiClient::Prepare(Transfer& transfer, const Request& request, bool watch) const {
  if (request.path.empty() || request.path.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("request path \"", request.path, "\" must start with '/'"));
  }
  CURL* easy = transfer.handles->easy;
  curl_easy_reset(easy);  // keeps live connections and TLS sessions
  transfer.url = base_url_ + request.path;
  transfer.method = std::string(VerbName(request.verb));

  curl_easy_setopt(easy, CURLOPT_URL, transfer.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.handles->error);
  transfer.handles->error[0] = '\0';
  curl_easy_setopt(easy, CURLOPT_USERAGENT, config_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::WriteCallback);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMillis);

  // TLS, from memory. A configured CA is the only trust anchor, as in
  // client-go: the system bundle libcurl would add is switched off. These
  // options must take: a TLS backend without blob support would otherwise
  // quietly fall back to the system store or send no certificate.
  CURLcode tls = CURLE_OK;
  auto set = [&tls, easy](CURLoption option, auto value) {
    if (tls == CURLE_OK) tls = curl_easy_setopt(easy, option, value);
  };
  if (config_.insecure_skip_tls_verify) {
    set(CURLOPT_SSL_VERIFYPEER, 0L);
    set(CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!config_.ca_pem.empty()) {
    curl_blob ca{const_cast<char*>(config_.ca_pem.data()), config_.ca_pem.size(), CURL_BLOB_COPY};
    set(CURLOPT_CAINFO, static_cast<const char*>(nullptr));
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
    set(CURLOPT_CAINFO_BLOB, &ca);
  }
  if (!config_.client_cert_pem.empty()) {
    curl_blob cert{const_cast<char*>(config_.client_cert_pem.data()),
                   config_.client_cert_pem.size(), CURL_BLOB_COPY};
    curl_blob key{const_cast<char*>(config_.client_key_pem.data()), config_.client_key_pem.size(),
                  CURL_BLOB_COPY};
    set(CURLOPT_SSLCERT_BLOB, &cert);
    set(CURLOPT_SSLCERTTYPE, "PEM");
    set(CURLOPT_SSLKEY_BLOB, &key);
    set(CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (tls != CURLE_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("libcurl cannot take the TLS settings: ", curl_easy_strerror(tls)));
  }

  // Method and body.
  const bool has_body = !request.body.is_null();
  if (has_body) {
    transfer.request_body =
        request.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  switch (request.verb) {
    case Verb::kGet:
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
      break;
    case Verb::kPost:
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      break;
    case Verb::kPut:
    case Verb::kPatch:
    case Verb::kDelete:
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, transfer.method.c_str());
      break;
  }
  const bool sends_body = request.verb != Verb::kGet && (has_body || request.verb != Verb::kDelete);
  if (sends_body) {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer.request_body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(transfer.request_body.size()));
  }

  // Headers.
  bool headers_ok = true;
  auto add = [&transfer, &headers_ok](const std::string& header) {
    curl_slist* longer = curl_slist_append(transfer.headers, header.c_str());
    if (longer == nullptr) {
      headers_ok = false;
    } else {
      transfer.headers = longer;
    }
  };
  add("Accept: application/json");
  add("Expect:");  // no 100-continue round trip for large bodies
  if (sends_body) add(absl::StrCat("Content-Type: ", Sv(ContentTypeOf(request))));
  if (!config_.bearer_token.empty()) {
    add(absl::StrCat("Authorization: Bearer ", config_.bearer_token));
  }
  if (!headers_ok) return absl::ResourceExhaustedError("curl_slist_append failed");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);

  // Time limits.
  absl::Duration timeout = request.timeout;
  if (!watch && timeout == absl::ZeroDuration()) timeout = config_.timeout;
  if (timeout > absl::ZeroDuration()) {
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))));
  }
  if (watch) {
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, kKeepAliveSeconds);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, kKeepAliveSeconds);
  } else {
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl decodes
  }
  return absl::OkStatus();
}

absl::Status CurlApiClient::Perform(Transfer& transfer, const CancelTokenPtr& cancel) {
  CURL* easy = transfer.handles->easy;
  CURLM* multi = transfer.handles->multi;
  std::shared_ptr<Wake> wake;
  if (cancel != nullptr) {
    wake = std::make_shared<Wake>();
    wake->multi = multi;
    cancel->OnCancel([wake] {
      std::lock_guard<std::mutex> lock(wake->mu);
      if (wake->multi != nullptr) curl_multi_wakeup(wake->multi);
    });
  }
  auto cancelled = [&cancel] { return cancel != nullptr && cancel->IsCancelled(); };

  absl::Status status;
  CURLcode result = CURLE_OK;
  bool done = false;
  if (CURLMcode mc = curl_multi_add_handle(multi, easy); mc != CURLM_OK) {
    status = absl::InternalError(absl::StrCat(transfer.What(), ": ", curl_multi_strerror(mc)));
  } else {
    while (!cancelled()) {
      int running = 0;
      CURLMcode mc = curl_multi_perform(multi, &running);
      if (mc == CURLM_OK) {
        int left = 0;
        while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
          if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) {
            result = msg->data.result;
            done = true;
          }
        }
        if (done || running == 0) break;
        mc = curl_multi_poll(multi, nullptr, 0, kPollMillis, nullptr);
      }
      if (mc != CURLM_OK) {
        status = absl::InternalError(absl::StrCat(transfer.What(), ": ", curl_multi_strerror(mc)));
        break;
      }
    }
    curl_multi_remove_handle(multi, easy);  // aborts an unfinished transfer
  }
  if (wake != nullptr) {
    std::lock_guard<std::mutex> lock(wake->mu);
    wake->multi = nullptr;
  }
  if (!status.ok()) return status;
  if (!done) {
    if (cancelled()) return CancelledError("watch cancelled");
    return absl::InternalError(absl::StrCat(transfer.What(), ": transfer ended without a result"));
  }
  if (result == CURLE_OK) return absl::OkStatus();
  if (!transfer.error.ok()) return transfer.error;
  const char* detail =
      transfer.handles->error[0] != '\0' ? transfer.handles->error : curl_easy_strerror(result);
  return absl::UnavailableError(absl::StrCat(transfer.What(), ": ", detail));
}

absl::StatusOr<nlohmann::json> CurlApiClient::Call(const Request& request) {
  limiter_.Accept();
  absl::StatusOr<std::unique_ptr<Handles>> handles = Acquire();
  if (!handles.ok()) return handles.status();
  Transfer transfer;
  transfer.handles = std::move(*handles);
  const absl::Time start = absl::Now();
  absl::Status status = Prepare(transfer, request, /*watch=*/false);
  if (status.ok()) status = Perform(transfer, nullptr);
  long code = 0;
  if (status.ok()) curl_easy_getinfo(transfer.handles->easy, CURLINFO_RESPONSE_CODE, &code);
  Release(std::move(transfer.handles));
  VLOG(6) << transfer.What() << " " << (status.ok() ? absl::StrCat(code) : status.ToString())
          << " in " << absl::FormatDuration(absl::Now() - start);
  if (!status.ok()) return status;
  if (!Is2xx(code)) return StatusFromHttp(static_cast<int>(code), transfer.body);
  if (transfer.body.empty()) return nlohmann::json();
  nlohmann::json parsed = nlohmann::json::parse(transfer.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InternalError(absl::StrCat(transfer.What(), ": the response is not JSON: ",
                                            absl::string_view(transfer.body).substr(0, 200)));
  }
  return parsed;
}

absl::Status CurlApiClient::Watch(const Request& request,
                                  const std::function<void(const WatchEvent&)>& on_event,
                                  const CancelTokenPtr& cancel) {
  if (!limiter_.Accept(cancel)) return CancelledError("watch cancelled");
  absl::StatusOr<std::unique_ptr<Handles>> handles = Acquire();
  if (!handles.ok()) return handles.status();
  Transfer transfer;
  transfer.handles = std::move(*handles);
  transfer.on_event = &on_event;
  absl::Status status = Prepare(transfer, request, /*watch=*/true);
  if (status.ok()) status = Perform(transfer, cancel);
  if (status.ok() && transfer.streaming && !transfer.pending.empty()) {
    // The last event, when the stream did not end it with a newline: a
    // newline through the callback delivers it (and catches what on_event
    // throws).
    char newline[] = "\n";
    if (Transfer::WriteCallback(newline, 1, 1, &transfer) != 1) status = transfer.error;
  }
  long code = 0;
  if (status.ok()) curl_easy_getinfo(transfer.handles->easy, CURLINFO_RESPONSE_CODE, &code);
  Release(std::move(transfer.handles));
  VLOG(6) << "WATCH " << transfer.url
          << " ended: " << (status.ok() ? absl::StrCat(code) : status.ToString());
  if (!status.ok()) return status;
  if (!Is2xx(code)) return StatusFromHttp(static_cast<int>(code), transfer.body);
  return absl::OkStatus();
}

}  // namespace cubelet::client
