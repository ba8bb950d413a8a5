#include "cli/validate.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "api/parse.h"
#include "config/file_source.h"

namespace cubelet::cli {
namespace {

std::string Plural(size_t n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

// Validates one file; false when it has problems.
bool ValidateFile(const std::string& path, std::ostream& out, std::ostream& err) {
  absl::StatusOr<api::ParsedManifest> parsed = api::ParseManifestFile(path);
  if (!parsed.ok()) {
    err << parsed.status().message() << "\n";
    out << "FAIL " << path << " (unreadable)\n";
    return false;
  }
  for (const api::ManifestError& e : parsed->errors) err << e.ToString() << "\n";
  if (parsed->errors.empty()) {
    out << "ok  " << path << " (" << Plural(parsed->pods.size(), "pod", "pods") << ")\n";
    return true;
  }
  out << "FAIL " << path << " (" << Plural(parsed->pods.size(), "valid pod", "valid pods") << ", "
      << Plural(parsed->errors.size(), "error", "errors") << ")\n";
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
  for (const std::string& name : names) {
    std::string file = config::JoinManifestPath(dir, name);
    // Sub-directories are not descended into, even when named like manifests.
    if (std::filesystem::is_directory(file, ec)) continue;
    ++files;
    ok = ValidateFile(file, out, err) && ok;
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
      ok = ValidateFile(path, out, err) && ok;  // also reports a missing path
    }
  }
  return ok ? 0 : 1;
}

}  // namespace cubelet::cli
