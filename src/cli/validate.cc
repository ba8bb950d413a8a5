#include "cli/validate.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "api/parse.h"
#include "config/file_source.h"
#include "config/pod_update.h"
#include "config/static_pod.h"

namespace cubelet::cli {
namespace {

std::string Plural(size_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

// The node name the daemon defaults to (--node-name): the host name.
std::string NodeName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

// Validates one file; false when it has problems. `owners` (full name -> file
// that defined it) is shared by the files of one directory, so a pod full name
// defined twice is reported as the daemon refuses it: the first file wins.
bool ValidateFile(const std::string& path, std::map<std::string, std::string>& owners,
                  std::ostream& out, std::ostream& err) {
  absl::StatusOr<api::ParsedManifest> parsed = api::ParseManifestFile(path);
  if (!parsed.ok()) {
    err << parsed.status().message() << "\n";
    out << "FAIL " << path << " (unreadable)\n";
    return false;
  }
  for (const api::ManifestError& e : parsed->errors) err << e.ToString() << "\n";
  // What the daemon does next: the static pod name (<name>-<node>), validated
  // again, and duplicate full names refused.
  std::vector<api::PodPtr> accepted;
  std::vector<std::string> refused;
  config::AcceptStaticPods(std::move(parsed->pods), NodeName(), path, config::kFileSource, owners,
                           accepted, refused);
  for (const std::string& e : refused) err << e << "\n";
  size_t errors = parsed->errors.size() + refused.size();
  if (errors == 0) {
    out << "ok  " << path << " (" << Plural(accepted.size(), "pod", "pods") << ")\n";
    return true;
  }
  out << "FAIL " << path << " (" << Plural(accepted.size(), "valid pod", "valid pods") << ", "
      << Plural(errors, "error", "errors") << ")\n";
  return false;
}

// Validates a directory's manifest files; false when any has problems.
bool ValidateDirectory(const std::string& dir, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (config::IsManifestFileName(name)) names.push_back(std::move(name));
  }
  if (ec) {
    err << "list \"" << dir << "\": " << ec.message() << "\n";
    out << "FAIL " << dir << " (unreadable)\n";
    return false;
  }
  std::sort(names.begin(), names.end());
  bool ok = true;
  size_t files = 0;
  std::map<std::string, std::string> owners;
  for (const std::string& name : names) {
    std::string file = config::JoinManifestPath(dir, name);
    // Sub-directories are not descended into, even when named like manifests.
    if (std::filesystem::is_directory(file, ec)) continue;
    ++files;
    ok = ValidateFile(file, owners, out, err) && ok;
  }
  if (files == 0) out << "ok  " << dir << " (no manifest files)\n";
  return ok;
}

}  // namespace

int ValidateManifests(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err) {
  bool ok = true;
  for (const std::string& path : paths) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      ok = ValidateDirectory(path, out, err) && ok;
    } else {
      std::map<std::string, std::string> owners;
      ok = ValidateFile(path, owners, out, err) && ok;  // also reports a missing path
    }
  }
  return ok ? 0 : 1;
}

}  // namespace cubelet::cli
