// FileSource: the static pod manifest source (--pod-manifest-path), upstream
// pkg/kubelet/config/file.go + file_linux.go.
//
// Reads every *.yaml, *.yml and *.json file directly in a directory (sorted by
// name, not recursive, names starting with "." ignored), or a single manifest
// file when the path is one, applies the static pod defaults and hands the
// complete list of good pods to `on_update` as one kSet PodUpdate (source
// "file"). Bad files and documents go to `on_error` and are skipped, so one
// broken manifest never hides the others.
//
// Change detection: inotify on a background thread (events debounced so an
// editor's write-rename-chmod sequence yields one snapshot) plus a full rescan
// every `file_check_frequency`. A bad file's errors are reported when the file
// (or what it yields) changes, not on every rescan. A snapshot is emitted on the first scan and
// then only when the pod list differs from the last one emitted. A manifest
// deleted (or renamed away) is never debounced away, even when a file of the
// same name is back before the scan: its pods leave in a snapshot of their
// own at once, as upstream applies each inotify event, so deleting and
// re-creating a manifest restarts its pod. A missing
// path yields an empty snapshot (the source still counts as seen) and is
// retried.
//
// Ownership: the FileSource owns its thread, inotify and wake-up descriptors;
// the callbacks are copied in. Thread-safety: Start()/Stop() must be called
// from one thread (the owner). Callbacks run on the background thread (or on
// the caller of ScanOnce()), never with a FileSource lock held, and must not
// call Stop(). ScanOnce() may be called from any thread.
#ifndef CUBELET_CONFIG_FILE_SOURCE_H_
#define CUBELET_CONFIG_FILE_SOURCE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/parse.h"
#include "api/pod.h"
#include "config/pod_update.h"
#include "config/stoppable_thread.h"

namespace cubelet::config {

using UpdateCallback = std::function<void(const PodUpdate&)>;
using ErrorCallback = std::function<void(const std::string& message)>;

// Whether a file in a manifest directory is read: *.yaml, *.yml or *.json,
// not starting with ".". Shared with `cubelet validate`.
bool IsManifestFileName(std::string_view name);
// `dir` + "/" + `name`, with "dir/" and "dir" giving the same path (the path
// feeds the static pod UID).
std::string JoinManifestPath(const std::string& dir, const std::string& name);

struct FileSourceOptions {
  std::string path;       // directory of manifests, or one manifest file
  std::string node_name;  // appended to static pod names
  std::chrono::milliseconds file_check_frequency = std::chrono::seconds(20);
  // Quiet time after the last inotify event before rescanning; bounded by
  // kMaxDebounce so a stream of events cannot postpone the scan forever.
  std::chrono::milliseconds debounce = std::chrono::milliseconds(100);
  // Test hook: false leaves only the periodic rescan.
  bool use_inotify = true;
  // Healthy() fails when no scan has completed for this long while running
  // (a scan stuck on a file); zero means 3 x file_check_frequency, at least
  // 30 s.
  std::chrono::milliseconds liveness_timeout{0};
};

// The errors of one manifest file in one scan.
struct FileErrors {
  std::string file;
  // Changes whenever the file's content (inode, size, times) or its errors do.
  std::string version;
  std::vector<std::string> errors;
};

// The result of reading the path once.
struct FileScan {
  std::vector<api::PodPtr> pods;       // good pods, in file then document order
  std::vector<std::string> pod_files;  // pod_files[i]: the file pods[i] came from
  std::vector<std::string> errors;     // one message per skipped file/document/pod
  std::vector<FileErrors> files;       // the same errors (but the path's own), by file
};

class FileSource {
 public:
  static constexpr std::chrono::milliseconds kMaxDebounce{1000};

  FileSource(FileSourceOptions options, UpdateCallback on_update, ErrorCallback on_error);
  ~FileSource();  // Stop()s

  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  // Starts the background thread, which scans at once. No-op when running.
  void Start();
  // Wakes and joins the background thread. Idempotent.
  void Stop();

  // Reads the path now, reporting each problem to `on_error`; does not emit a
  // snapshot. NotFound when the path does not exist; the errno-derived status
  // when it cannot be listed.
  absl::StatusOr<std::vector<api::PodPtr>> ScanOnce();

  // Reads the path without reporting anything (the building block of both
  // ScanOnce() and the background loop). Only regular files (or symlinks to
  // them) are read; anything else named like a manifest (a FIFO, a device, a
  // socket) is skipped with an error, as the kubelet does, and never opened.
  absl::StatusOr<FileScan> Scan() const;

  // How many error messages the background loop has reported (each bad file's
  // errors are reported once per version of the file, not on every rescan),
  // and how many files had errors at the last scan. Any thread.
  int64_t errors_reported() const { return errors_reported_.load(); }
  int64_t bad_files() const { return bad_files_.load(); }

  // OK unless the background thread is running and has not completed a scan
  // within options.liveness_timeout. Feeds /healthz. Any thread.
  absl::Status Healthy() const;

 private:
  void Run();
  void RunGuarded();
  std::chrono::milliseconds LivenessTimeout() const;

  // The parse of one version of a file (its StatVersion), so a rescan of an
  // unchanged folder re-reads no file: at 1000 manifests yaml-cpp re-parsing
  // everything every 20 s was most of the agent's idle CPU.
  struct ParsedFile {
    std::string version;
    absl::StatusOr<api::ParsedManifest> parsed;
  };
  // Adds the pods of one manifest file to `scan`, parsing it only if its
  // version is not the cached one; `seen` collects the files scanned.
  void AddFile(const std::string& file, const std::string& version,
               std::map<std::string, std::string>& owners, FileScan& scan,
               std::set<std::string>& seen) const;

  const FileSourceOptions options_;
  const UpdateCallback on_update_;
  const ErrorCallback on_error_;
  // steady_clock nanoseconds of the last completed scan; 0 when not running.
  std::atomic<int64_t> last_scan_ns_{0};
  std::atomic<int64_t> errors_reported_{0};
  std::atomic<int64_t> bad_files_{0};
  StoppableThread worker_;
  mutable std::mutex parsed_mu_;
  mutable std::map<std::string, ParsedFile> parsed_;  // by file path
};

}  // namespace cubelet::config

#endif  // CUBELET_CONFIG_FILE_SOURCE_H_
