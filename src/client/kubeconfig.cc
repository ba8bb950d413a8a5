#include "client/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace cubelet::client {
namespace {

// Debian's Abseil has its own string_view type.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Reads a whole file; the error reads like Go's: "open /a/b: No such file or
// directory". `errno_out` gets the errno of a failed open.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, int* errno_out = nullptr) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (errno_out != nullptr) *errno_out = err;
    return absl::InvalidArgumentError(absl::StrCat("open ", path, ": ", ::strerror(err)));
  }
  std::string content;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat("read ", path, ": ", ::strerror(err)));
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

// YAML 1.1 booleans, as Go's yaml.v2 (which clientcmd reads with) accepts
// them.
std::optional<bool> ParseBool(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(Sv(text));
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "y") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "n") return false;
  return std::nullopt;
}

// One kubeconfig being read: knows its name for errors and its directory for
// relative paths.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(path, ec);
    dir_ = (ec ? std::filesystem::path(path) : abs).parent_path();
    if (dir_.empty()) dir_ = ".";
  }

  absl::Status Error(std::string_view field, std::string_view message) const {
    if (field.empty())
      return absl::InvalidArgumentError(absl::StrCat("kubeconfig ", path_, ": ", Sv(message)));
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig ", path_, ": ", Sv(field), ": ", Sv(message)));
  }

  // The scalar at map[key] as written ("" when absent or null).
  absl::StatusOr<std::string> String(const YAML::Node& map, const char* key,
                                     const std::string& field) const {
    const YAML::Node value = map[key];
    if (!value.IsDefined() || value.IsNull()) return std::string();
    if (!value.IsScalar()) return Error(absl::StrCat(field, ".", key), "must be a string");
    return value.Scalar();
  }

  // `name` relative to the kubeconfig's directory unless absolute.
  std::string Resolve(const std::string& name) const {
    if (name.empty() || name.front() == '/') return name;
    return (dir_ / name).lexically_normal().string();
  }

  // The contents of the file `map[key]` names (resolved), or of the base64
  // `map[data_key]`; "" when neither is set.
  absl::StatusOr<std::string> FileOrData(const YAML::Node& map, const char* key,
                                         const char* data_key, const std::string& field) const {
    absl::StatusOr<std::string> file = String(map, key, field);
    if (!file.ok()) return file.status();
    absl::StatusOr<std::string> data = String(map, data_key, field);
    if (!data.ok()) return data.status();
    if (!file->empty() && !data->empty()) {
      return Error(field, absl::StrCat(key, " and ", data_key, " are both set"));
    }
    if (!data->empty()) {
      std::string compact;
      for (char c : *data) {
        if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact.push_back(c);
      }
      std::string decoded;
      if (!absl::Base64Unescape(compact, &decoded)) {
        return Error(absl::StrCat(field, ".", data_key), "illegal base64 data");
      }
      return decoded;
    }
    if (file->empty()) return std::string();
    absl::StatusOr<std::string> content = ReadWholeFile(Resolve(*file));
    if (!content.ok())
      return Error(absl::StrCat(field, ".", key), std::string(content.status().message()));
    return content;
  }

  // Finds the entry of list `list` (clusters, contexts, users) named `name`;
  // returns its index and its `item` mapping (cluster, context, user).
  absl::StatusOr<std::pair<size_t, YAML::Node>> Find(const YAML::Node& root, const char* list,
                                                     const char* item, const std::string& name,
                                                     const std::string& referrer) const {
    const YAML::Node entries = root[list];
    if (entries.IsDefined() && !entries.IsNull()) {
      if (!entries.IsSequence()) return Error(list, "must be a list");
      for (size_t i = 0; i < entries.size(); ++i) {
        const YAML::Node entry = entries[i];
        const std::string field = absl::StrCat(list, "[", i, "]");
        if (!entry.IsMap()) return Error(field, "must be a mapping");
        absl::StatusOr<std::string> entry_name = String(entry, "name", field);
        if (!entry_name.ok()) return entry_name.status();
        if (*entry_name != name) continue;
        const YAML::Node body = entry[item];
        if (body.IsDefined() && !body.IsNull() && !body.IsMap()) {
          return Error(absl::StrCat(field, ".", item), "must be a mapping");
        }
        return std::make_pair(i, body.IsMap() ? body : YAML::Node(YAML::NodeType::Map));
      }
    }
    return Error(referrer, absl::StrCat("no ", item, " named \"", name, "\""));
  }

  absl::StatusOr<RestConfig> Read(std::string_view content) const {
    const YAML::Node root = YAML::Load(std::string(content));
    if (!root.IsMap()) return Error("", "not a kubeconfig (expected a YAML mapping)");

    absl::StatusOr<std::string> current = String(root, "current-context", "");
    if (!current.ok()) return current.status();
    if (current->empty()) return Error("current-context", "not set");
    auto context = Find(root, "contexts", "context", *current, "current-context");
    if (!context.ok()) return context.status();
    const std::string context_field = absl::StrCat("contexts[", context->first, "].context");

    absl::StatusOr<std::string> cluster_name = String(context->second, "cluster", context_field);
    if (!cluster_name.ok()) return cluster_name.status();
    if (cluster_name->empty()) return Error(absl::StrCat(context_field, ".cluster"), "not set");
    absl::StatusOr<std::string> user_name = String(context->second, "user", context_field);
    if (!user_name.ok()) return user_name.status();

    RestConfig config;
    auto cluster =
        Find(root, "clusters", "cluster", *cluster_name, absl::StrCat(context_field, ".cluster"));
    if (!cluster.ok()) return cluster.status();
    if (absl::Status s = ReadCluster(cluster->second, cluster->first, config); !s.ok()) return s;
    if (!user_name->empty()) {
      auto user = Find(root, "users", "user", *user_name, absl::StrCat(context_field, ".user"));
      if (!user.ok()) return user.status();
      if (absl::Status s = ReadUser(user->second, user->first, config); !s.ok()) return s;
    }
    return config;
  }

 private:
  absl::Status ReadCluster(const YAML::Node& cluster, size_t index, RestConfig& config) const {
    const std::string field = absl::StrCat("clusters[", index, "].cluster");
    for (const char* unsupported : {"proxy-url", "tls-server-name"}) {
      if (cluster[unsupported].IsDefined()) {
        return Error(absl::StrCat(field, ".", unsupported), "not supported by cubelet");
      }
    }
    absl::StatusOr<std::string> server = String(cluster, "server", field);
    if (!server.ok()) return server.status();
    if (server->empty()) return Error(absl::StrCat(field, ".server"), "not set");
    config.server = *server;

    absl::StatusOr<std::string> insecure = String(cluster, "insecure-skip-tls-verify", field);
    if (!insecure.ok()) return insecure.status();
    if (!insecure->empty()) {
      std::optional<bool> value = ParseBool(*insecure);
      if (!value.has_value()) {
        return Error(absl::StrCat(field, ".insecure-skip-tls-verify"),
                     absl::StrCat("must be true or false, not \"", *insecure, "\""));
      }
      config.insecure_skip_tls_verify = *value;
    }
    absl::StatusOr<std::string> ca =
        FileOrData(cluster, "certificate-authority", "certificate-authority-data", field);
    if (!ca.ok()) return ca.status();
    config.ca_pem = std::move(*ca);
    if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
      // client-go's transport refuses the same combination.
      return Error(field,
                   "specifying a root certificates file with the insecure flag is not allowed");
    }
    return absl::OkStatus();
  }

  absl::Status ReadUser(const YAML::Node& user, size_t index, RestConfig& config) const {
    const std::string field = absl::StrCat("users[", index, "].user");
    for (const char* unsupported :
         {"exec", "auth-provider", "username", "password", "as", "as-uid", "as-groups"}) {
      if (user[unsupported].IsDefined()) {
        return Error(absl::StrCat(field, ".", unsupported), "not supported by cubelet");
      }
    }
    absl::StatusOr<std::string> cert =
        FileOrData(user, "client-certificate", "client-certificate-data", field);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = FileOrData(user, "client-key", "client-key-data", field);
    if (!key.ok()) return key.status();
    if (cert->empty() != key->empty()) {
      return Error(field, cert->empty() ? "client-key is set without client-certificate(-data)"
                                        : "client-certificate is set without client-key(-data)");
    }
    config.client_cert_pem = std::move(*cert);
    config.client_key_pem = std::move(*key);

    absl::StatusOr<std::string> token = String(user, "token", field);
    if (!token.ok()) return token.status();
    config.bearer_token = *token;
    absl::StatusOr<std::string> token_file = String(user, "tokenFile", field);
    if (!token_file.ok()) return token_file.status();
    if (!token_file->empty()) {
      absl::StatusOr<std::string> content = ReadWholeFile(Resolve(*token_file));
      if (!content.ok())
        return Error(absl::StrCat(field, ".tokenFile"), std::string(content.status().message()));
      config.bearer_token = std::string(absl::StripAsciiWhitespace(*content));
    }
    return absl::OkStatus();
  }

  std::string path_;
  std::filesystem::path dir_;
};

}  // namespace

absl::StatusOr<RestConfig> ParseKubeconfig(std::string_view content, const std::string& path) {
  Reader reader(path);
  try {
    return reader.Read(content);
  } catch (const YAML::Exception& e) {
    return reader.Error("", e.what());
  } catch (const std::exception& e) {
    return reader.Error("", e.what());
  }
}

absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path) {
  int err = 0;
  absl::StatusOr<std::string> content = ReadWholeFile(path, &err);
  if (!content.ok()) {
    std::string message =
        absl::StrCat("kubeconfig ", path, ": ", std::string(content.status().message()));
    return err == ENOENT ? absl::NotFoundError(message) : absl::InvalidArgumentError(message);
  }
  return ParseKubeconfig(*content, path);
}

}  // namespace cubelet::client
