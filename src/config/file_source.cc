#include "config/file_source.h"

#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/parse.h"
#include "config/static_pod.h"

namespace cubelet::config {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr uint32_t kWatchMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM |
                                IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
// Upstream restarts a failed watch with back-off 1 s -> 20 s.
constexpr std::chrono::milliseconds kWatchRetryInitial{1000};
constexpr std::chrono::milliseconds kWatchRetryMax{20000};

bool SamePods(const std::vector<api::PodPtr>& a, const std::vector<api::PodPtr>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const api::PodPtr& x, const api::PodPtr& y) { return *x == *y; });
}

// Adds the pods of one manifest file to `scan`.
void AddFile(const std::string& file, const std::string& node_name,
             std::map<std::string, std::string>& owners, FileScan& scan) {
  absl::StatusOr<api::ParsedManifest> parsed = api::ParseManifestFile(file);
  if (!parsed.ok()) {
    scan.errors.emplace_back(parsed.status().message());
    return;
  }
  for (const api::ManifestError& e : parsed->errors) scan.errors.push_back(e.ToString());
  AcceptStaticPods(std::move(parsed->pods), node_name, file, kFileSource, owners, scan.pods,
                   scan.errors);
}

}  // namespace

FileSource::FileSource(FileSourceOptions options, UpdateCallback on_update, ErrorCallback on_error)
    : options_(std::move(options)),
      on_update_(std::move(on_update)),
      on_error_(std::move(on_error)) {}

FileSource::~FileSource() { Stop(); }

void FileSource::Start() {
  worker_.Start([this] { Run(); });
}

void FileSource::Stop() { worker_.Stop(); }

absl::StatusOr<FileScan> FileSource::Scan() const {
  const std::string& path = options_.path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("pod manifest path \"", path, "\" does not exist"));
    }
    return absl::ErrnoToStatus(errno, absl::StrCat("stat pod manifest path \"", path, "\""));
  }
  FileScan scan;
  std::map<std::string, std::string> owners;  // full name -> file that defined it
  if (!S_ISDIR(st.st_mode)) {
    AddFile(path, options_.node_name, owners, scan);
    return scan;
  }

  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("list pod manifest path \"", path, "\""));
  }
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    struct dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    if (IsManifestFileName(entry->d_name)) names.emplace_back(entry->d_name);
  }
  int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) {
    return absl::ErrnoToStatus(read_errno, absl::StrCat("list pod manifest path \"", path, "\""));
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string file = JoinManifestPath(path, name);
    struct stat fst;
    // Sub-directories are not descended into, even when named like manifests;
    // a file that vanished since the listing is simply no longer there.
    if (::stat(file.c_str(), &fst) != 0) {
      if (errno != ENOENT) {
        scan.errors.emplace_back(
            absl::ErrnoToStatus(errno, absl::StrCat("stat manifest \"", file, "\"")).message());
      }
      continue;
    }
    if (S_ISDIR(fst.st_mode)) continue;
    AddFile(file, options_.node_name, owners, scan);
  }
  return scan;
}

absl::StatusOr<std::vector<api::PodPtr>> FileSource::ScanOnce() {
  absl::StatusOr<FileScan> scan = Scan();
  if (!scan.ok()) return scan.status();
  if (on_error_) {
    for (const std::string& e : scan->errors) on_error_(e);
  }
  return std::move(scan->pods);
}

void FileSource::Run() {
  int inotify_fd = -1;
  if (options_.use_inotify) inotify_fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  int watch = -1;
  std::chrono::milliseconds watch_backoff = kWatchRetryInitial;
  const auto never = SteadyClock::time_point::max();
  auto watch_retry_at = inotify_fd >= 0 ? SteadyClock::now() : never;
  auto rescan_at = SteadyClock::now();  // the first scan happens at once
  auto debounce_at = never;             // a scan after the events quieten
  auto first_event_at = never;          // bounds how long debouncing may defer
  bool report_all = true;               // the next scan reports every error

  std::optional<std::vector<api::PodPtr>> last_emitted;
  std::set<std::string> last_errors;

  auto scan_now = [&] {
    std::vector<api::PodPtr> pods;
    std::vector<std::string> errors;
    absl::StatusOr<FileScan> scan = Scan();
    if (scan.ok()) {
      pods = std::move(scan->pods);
      errors = std::move(scan->errors);
    } else {
      // Missing or unreadable: no pods (the source is still seen), retried at
      // the next rescan or watch event.
      errors.emplace_back(scan.status().message());
    }
    std::set<std::string> error_set(errors.begin(), errors.end());
    if (on_error_) {
      // Periodic rescans repeat only what is new, so a broken file left alone
      // is not reported every file_check_frequency.
      for (const std::string& e : errors) {
        if (report_all || !last_errors.contains(e)) on_error_(e);
      }
    }
    last_errors = std::move(error_set);
    report_all = false;
    if (!last_emitted.has_value() || !SamePods(*last_emitted, pods)) {
      last_emitted = pods;
      if (on_update_) on_update_(PodUpdate{std::move(pods), PodOperation::kSet, kFileSource});
    }
  };

  alignas(struct inotify_event) char buf[16 * 1024];
  while (true) {
    auto now = SteadyClock::now();
    if (inotify_fd >= 0 && watch < 0 && now >= watch_retry_at) {
      watch = ::inotify_add_watch(inotify_fd, options_.path.c_str(), kWatchMask);
      if (watch >= 0) {
        watch_backoff = kWatchRetryInitial;
        watch_retry_at = never;
        // Whatever changed while there was no watch is only seen by a scan.
        rescan_at = now;
        report_all = true;
      } else {
        watch_retry_at = now + watch_backoff;
        watch_backoff = std::min(watch_backoff * 2, kWatchRetryMax);
      }
    }
    if (now >= rescan_at || now >= debounce_at) {
      scan_now();
      now = SteadyClock::now();
      rescan_at = now + options_.file_check_frequency;
      debounce_at = never;
      first_event_at = never;
    }

    auto wake_at = std::min({rescan_at, debounce_at, watch < 0 ? watch_retry_at : never});
    int timeout_ms = -1;
    if (wake_at != never) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake_at - now);
      timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 60'000));
    }
    struct pollfd fds[2] = {{worker_.stop_fd(), POLLIN, 0}, {inotify_fd, POLLIN, 0}};
    int n = ::poll(fds, inotify_fd >= 0 ? 2 : 1, timeout_ms);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (fds[0].revents != 0) break;
    if (inotify_fd < 0 || fds[1].revents == 0) continue;

    bool relevant = false;
    while (true) {
      ssize_t len = ::read(inotify_fd, buf, sizeof(buf));
      if (len <= 0) break;  // EAGAIN: drained
      for (char* p = buf; p < buf + len;) {
        auto* ev = reinterpret_cast<struct inotify_event*>(p);
        p += sizeof(struct inotify_event) + ev->len;
        if (ev->mask & IN_Q_OVERFLOW) {
          relevant = true;
        } else if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
          // The watched path itself went away (or was replaced, as editors do
          // with a single manifest file): watch the path again, from scratch.
          // Events of an older, already dropped watch are left alone.
          if (ev->wd == watch) {
            if (!(ev->mask & IN_IGNORED)) ::inotify_rm_watch(inotify_fd, watch);
            watch = -1;
            watch_retry_at = SteadyClock::now();
            relevant = true;
          }
        } else if (ev->len == 0 || IsManifestFileName(ev->name)) {
          relevant = true;
        }
      }
    }
    if (relevant) {
      now = SteadyClock::now();
      if (first_event_at == never) first_event_at = now;
      debounce_at = std::min(now + options_.debounce, first_event_at + kMaxDebounce);
      report_all = true;
    }
  }
  if (inotify_fd >= 0) ::close(inotify_fd);
}

bool IsManifestFileName(std::string_view name) {
  if (name.empty() || name[0] == '.') return false;
  return name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
}

// "dir/" and "dir" must name the same files, because the path feeds the UID.
std::string JoinManifestPath(const std::string& dir, const std::string& name) {
  std::string out = dir;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out != "/") out.push_back('/');
  return out + name;
}

}  // namespace cubelet::config
