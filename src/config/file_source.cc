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
#include <iterator>
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

// What identifies one version of a file's content without reading it again.
std::string StatVersion(const struct stat& st) {
  return absl::StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                      st.st_mtim.tv_nsec, ":", st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec);
}

// Records the errors a file added to `scan` since `first` under its name.
void RecordFileErrors(const std::string& file, std::string version, size_t first, FileScan& scan) {
  if (scan.errors.size() == first) return;
  FileErrors fe{file, std::move(version), {}};
  fe.errors.assign(scan.errors.begin() + static_cast<std::ptrdiff_t>(first), scan.errors.end());
  // The errors are part of the version: a duplicate name depends on the other
  // files too.
  size_t h = 0;
  for (const std::string& e : fe.errors) h = h * 31 + std::hash<std::string>()(e);
  absl::StrAppend(&fe.version, ":", h);
  scan.files.push_back(std::move(fe));
}

}  // namespace

void FileSource::AddFile(const std::string& file, const std::string& version,
                         std::map<std::string, std::string>& owners, FileScan& scan,
                         std::set<std::string>& seen) const {
  seen.insert(file);
  std::optional<absl::StatusOr<api::ParsedManifest>> cached;
  {
    std::lock_guard<std::mutex> lock(parsed_mu_);
    auto it = parsed_.find(file);
    if (it != parsed_.end() && it->second.version == version) cached = it->second.parsed;
  }
  absl::StatusOr<api::ParsedManifest> parsed;
  if (cached.has_value()) {
    parsed = *std::move(cached);
  } else {
    parsed = api::ParseManifestFile(file);
    std::lock_guard<std::mutex> lock(parsed_mu_);
    parsed_[file] = ParsedFile{version, parsed};
  }
  size_t first = scan.errors.size();
  if (!parsed.ok()) {
    scan.errors.emplace_back(parsed.status().message());
  } else {
    for (const api::ManifestError& e : parsed->errors) scan.errors.push_back(e.ToString());
    AcceptStaticPods(std::move(parsed->pods), options_.node_name, file, kFileSource, owners,
                     scan.pods, scan.errors);
  }
  scan.pod_files.resize(scan.pods.size(), file);
  RecordFileErrors(file, version, first, scan);
}

FileSource::FileSource(FileSourceOptions options, UpdateCallback on_update, ErrorCallback on_error)
    : options_(std::move(options)),
      on_update_(std::move(on_update)),
      on_error_(std::move(on_error)) {}

FileSource::~FileSource() { Stop(); }

void FileSource::Start() {
  if (last_scan_ns_.load() == 0) {
    last_scan_ns_ = SteadyClock::now().time_since_epoch().count();  // the grace for the first scan
  }
  worker_.Start([this] { RunGuarded(); });
}

void FileSource::Stop() {
  worker_.Stop();
  last_scan_ns_ = 0;
}

std::chrono::milliseconds FileSource::LivenessTimeout() const {
  if (options_.liveness_timeout.count() > 0) return options_.liveness_timeout;
  return std::max<std::chrono::milliseconds>(3 * options_.file_check_frequency,
                                             std::chrono::seconds(30));
}

absl::Status FileSource::Healthy() const {
  int64_t last = last_scan_ns_.load();
  if (last == 0) return absl::OkStatus();
  auto since = SteadyClock::now() - SteadyClock::time_point(SteadyClock::duration(last));
  if (since > LivenessTimeout()) {
    return absl::UnavailableError(
        absl::StrCat("no scan of \"", options_.path, "\" completed for ",
                     std::chrono::duration_cast<std::chrono::seconds>(since).count(), "s"));
  }
  return absl::OkStatus();
}

// No exception may end the source's thread (and with it the process): the
// loop is restarted after one, and the error reported.
void FileSource::RunGuarded() {
  while (true) {
    try {
      Run();
      return;
    } catch (const std::exception& e) {
      if (on_error_) on_error_(absl::StrCat("file source: unexpected error: ", e.what()));
    } catch (...) {
      if (on_error_) on_error_("file source: unexpected error");
    }
    struct pollfd p = {worker_.stop_fd(), POLLIN, 0};
    if (::poll(&p, 1, 1000) != 0) return;  // stop requested
  }
}

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
  std::set<std::string> seen;
  // Files gone since the last scan leave the parse cache.
  auto forget_unseen = [&] {
    std::lock_guard<std::mutex> lock(parsed_mu_);
    for (auto it = parsed_.begin(); it != parsed_.end();) {
      it = seen.contains(it->first) ? std::next(it) : parsed_.erase(it);
    }
  };
  if (!S_ISDIR(st.st_mode)) {
    AddFile(path, StatVersion(st), owners, scan, seen);
    forget_unseen();
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
        size_t first = scan.errors.size();
        scan.errors.emplace_back(
            absl::ErrnoToStatus(errno, absl::StrCat("stat manifest \"", file, "\"")).message());
        RecordFileErrors(file, "", first, scan);
      }
      continue;
    }
    if (S_ISDIR(fst.st_mode)) continue;
    if (!S_ISREG(fst.st_mode)) {
      // A FIFO would block open() (and with it every later scan).
      size_t first = scan.errors.size();
      scan.errors.push_back(absl::StrCat("manifest \"", file, "\" is not a regular file; skipped"));
      RecordFileErrors(file, StatVersion(fst), first, scan);
      continue;
    }
    AddFile(file, StatVersion(fst), owners, scan, seen);
  }
  forget_unseen();
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
  bool report_all = true;               // the next scan reports the path's own error

  std::optional<std::vector<api::PodPtr>> last_emitted;
  std::vector<std::string> last_emitted_files;        // the file of each pod in last_emitted
  std::set<std::string> last_errors;                  // the path's own
  std::map<std::string, std::string> reported_files;  // bad file -> version reported

  auto report = [&](const std::string& e) {
    ++errors_reported_;
    if (on_error_) on_error_(e);
  };
  auto scan_now = [&] {
    std::vector<api::PodPtr> pods;
    std::vector<std::string> pod_files;
    std::vector<std::string> errors;  // the path's own (missing, unlistable)
    std::vector<FileErrors> files;
    absl::StatusOr<FileScan> scan = Scan();
    if (scan.ok()) {
      pods = std::move(scan->pods);
      pod_files = std::move(scan->pod_files);
      files = std::move(scan->files);
    } else {
      // Missing or unreadable: no pods (the source is still seen), retried at
      // the next rescan or watch event.
      errors.emplace_back(scan.status().message());
    }
    // A bad file's errors are reported once per version of the file: a broken
    // file left alone (however many documents it has) is not reported again
    // at every rescan or at every change of another file.
    std::map<std::string, std::string> now_reported;
    for (FileErrors& fe : files) {
      auto it = reported_files.find(fe.file);
      if (it == reported_files.end() || it->second != fe.version) {
        for (const std::string& e : fe.errors) report(e);
      }
      now_reported[fe.file] = std::move(fe.version);
    }
    reported_files = std::move(now_reported);
    bad_files_ = static_cast<int64_t>(reported_files.size());
    std::set<std::string> error_set(errors.begin(), errors.end());
    for (const std::string& e : errors) {
      if (report_all || !last_errors.contains(e)) report(e);
    }
    last_errors = std::move(error_set);
    report_all = false;
    last_scan_ns_ = SteadyClock::now().time_since_epoch().count();
    if (!last_emitted.has_value() || !SamePods(*last_emitted, pods)) {
      last_emitted = pods;
      last_emitted_files = std::move(pod_files);
      if (on_update_) on_update_(PodUpdate{std::move(pods), PodOperation::kSet, kFileSource});
    }
  };
  // The pods of deleted manifests leave now, in a snapshot of their own.
  auto forget_deleted = [&](const std::set<std::string>& deleted) {
    if (!last_emitted.has_value()) return;
    std::vector<api::PodPtr> kept;
    std::vector<std::string> kept_files;
    for (size_t i = 0; i < last_emitted->size(); ++i) {
      if (deleted.contains(last_emitted_files[i])) continue;
      kept.push_back((*last_emitted)[i]);
      kept_files.push_back(last_emitted_files[i]);
    }
    if (kept.size() == last_emitted->size()) return;
    last_emitted = kept;
    last_emitted_files = std::move(kept_files);
    if (on_update_) on_update_(PodUpdate{std::move(kept), PodOperation::kSet, kFileSource});
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
    std::set<std::string> deleted;  // manifest files deleted or renamed away
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
          if (ev->len > 0 && ev->wd == watch && (ev->mask & (IN_DELETE | IN_MOVED_FROM))) {
            deleted.insert(JoinManifestPath(options_.path, ev->name));
          }
        }
      }
    }
    forget_deleted(deleted);
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
