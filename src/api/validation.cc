#include "api/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/quantity.h"
#include "api/sysctl.h"

namespace cubelet::api {
namespace {

constexpr int kDNS1123LabelMaxLength = 63;
constexpr int kDNS1123SubdomainMaxLength = 253;
constexpr int kQualifiedNameMaxLength = 63;
constexpr int kLabelValueMaxLength = 63;
constexpr int kPortNameMaxLength = 15;
constexpr int64_t kTotalAnnotationSizeLimit = 256 * 1024;

constexpr char kDNS1123LabelErrorMsg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr char kDNS1123SubdomainErrorMsg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr char kQualifiedNameErrorMsg[] =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr char kLabelValueErrorMsg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
constexpr char kPortRangeMsg[] = "must be between 1 and 65535, inclusive";
constexpr char kNonNegativeMsg[] = "must be greater than or equal to 0";
constexpr char kAtLeastOneMsg[] = "must be greater than or equal to 1";
constexpr char kInitNoSidecarMsg[] =
    "may not be set for init containers without restartPolicy=Always";

std::string Child(std::string_view path, std::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(std::string(path), ".", std::string(name));
}
std::string Index(std::string_view path, size_t i) {
  return absl::StrCat(std::string(path), "[", i, "]");
}
std::string Key(std::string_view path, std::string_view key) {
  return absl::StrCat(std::string(path), "[", std::string(key), "]");
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesLabelRegex(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNameRegex(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string MaxLenMsg(int n) { return absl::StrCat("must be no more than ", n, " characters"); }

// Upstream validation.IsConfigMapKey: the keys of ConfigMaps and Secrets.
std::vector<std::string> IsConfigMapKey(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back(MaxLenMsg(253));
  bool ok = !value.empty();
  for (char c : value) ok = ok && (IsAlnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok) {
    errs.push_back(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')");
  }
  if (value == ".") {
    errs.push_back("must not be '.'");
  } else if (value == "..") {
    errs.push_back("must not be '..'");
  } else if (value.starts_with("..")) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

std::vector<std::string> IsQualifiedName(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      return {absl::StrCat("a qualified name ", kQualifiedNameErrorMsg,
                           " with an optional DNS subdomain prefix and '/' (e.g. "
                           "'example.com/MyName')")};
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const std::string& msg : IsDNS1123Subdomain(prefix)) {
        errs.push_back(absl::StrCat("prefix part ", msg));
      }
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back(absl::StrCat("name part ", MaxLenMsg(kQualifiedNameMaxLength)));
  }
  if (!name.empty() && !MatchesQualifiedNameRegex(name)) {
    errs.push_back(absl::StrCat("name part ", kQualifiedNameErrorMsg));
  }
  return errs;
}

std::vector<std::string> IsValidLabelValue(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) errs.push_back(MaxLenMsg(kLabelValueMaxLength));
  if (!value.empty() && !MatchesQualifiedNameRegex(value)) errs.push_back(kLabelValueErrorMsg);
  return errs;
}

// IANA_SVC_NAME, as upstream's IsValidPortName.
std::vector<std::string> IsValidPortName(std::string_view port) {
  std::vector<std::string> errs;
  if (port.size() > kPortNameMaxLength) errs.push_back(MaxLenMsg(kPortNameMaxLength));
  bool has_letter = false;
  bool only_allowed = true;
  for (char c : port) {
    if (c >= 'a' && c <= 'z') has_letter = true;
    if (!IsLowerAlnum(c) && c != '-') only_allowed = false;
  }
  if (!only_allowed) {
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (port.find("--") != std::string_view::npos) {
    errs.push_back("must not contain consecutive hyphens");
  }
  if (!port.empty() && !has_letter) errs.push_back("must contain at least one letter (a-z)");
  if (!port.empty() && (port.front() == '-' || port.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

bool IsValidPortNum(int64_t port) { return port >= 1 && port <= 65535; }

bool ContainsBacksteps(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

// Upstream's netutils.ParseIPSloppy: IPv6, or dotted-quad IPv4 whose octets may
// carry leading zeros (the "legacy" IP fields accept them).
bool IsSloppyIP(std::string_view s) {
  if (s.find(':') != std::string_view::npos) {
    struct in6_addr addr;
    return s.find('%') == std::string_view::npos &&
           ::inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
  }
  int parts = 0;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > 3) return false;
    int v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

constexpr char kInvalidIPMsg[] = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
constexpr char kUserIDMsg[] = "must be between 0 and 2147483647, inclusive";

// Resource names as upstream's pkg/apis/core/helper.
bool IsHugePageResourceName(std::string_view name) { return name.starts_with("hugepages-"); }
bool IsStandardContainerResourceName(std::string_view name) {
  return name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
         IsHugePageResourceName(name);
}
bool IsStandardResourceName(std::string_view name) {
  static const std::set<std::string_view> kStandard = {"cpu",
                                                       "memory",
                                                       "ephemeral-storage",
                                                       "requests.cpu",
                                                       "requests.memory",
                                                       "requests.ephemeral-storage",
                                                       "limits.cpu",
                                                       "limits.memory",
                                                       "limits.ephemeral-storage",
                                                       "pods",
                                                       "resourcequotas",
                                                       "services",
                                                       "replicationcontrollers",
                                                       "secrets",
                                                       "configmaps",
                                                       "persistentvolumeclaims",
                                                       "storage",
                                                       "requests.storage",
                                                       "services.nodeports",
                                                       "services.loadbalancers"};
  return kStandard.contains(name) || name.starts_with("hugepages-") ||
         name.starts_with("requests.hugepages-");
}
// No '/', or in the kubernetes.io/ namespace.
bool IsNativeResource(std::string_view name) {
  return name.find('/') == std::string_view::npos ||
         name.find("kubernetes.io/") != std::string_view::npos;
}
bool IsExtendedResourceName(std::string_view name) {
  if (IsNativeResource(name) || name.starts_with("requests.")) return false;
  return IsQualifiedName(absl::StrCat("requests.", std::string(name))).empty();
}
bool IsOvercommitAllowed(std::string_view name) {
  return IsNativeResource(name) && !IsHugePageResourceName(name);
}

// Renders a string list for an Invalid value the way kubectl shows it.
std::string RenderList(const std::vector<std::string>& values) {
  return absl::StrCat(
      "[",
      absl::StrJoin(values, ",",
                    [](std::string* out, const std::string& v) { out->append(GoQuote(v)); }),
      "]");
}

// The downward API field paths (pkg/apis/core/pods ConvertDownwardAPIFieldLabel).
bool IsConvertibleFieldPath(std::string_view fp) {
  static const std::set<std::string_view> kLabels = {
      "metadata.annotations", "metadata.labels", "metadata.name",      "metadata.namespace",
      "metadata.uid",         "spec.nodeName",   "spec.restartPolicy", "spec.serviceAccountName",
      "spec.schedulerName",   "status.phase",    "status.hostIP",      "status.hostIPs",
      "status.podIP",         "status.podIPs",   "spec.host"};
  return kLabels.contains(fp);
}

// fieldpath.SplitMaybeSubscriptedPath: "metadata.labels['k']" -> ("metadata.labels", "k").
bool SplitSubscriptedPath(std::string_view fp, std::string_view& path, std::string_view& sub) {
  if (!fp.ends_with("']")) return false;
  std::string_view s = fp.substr(0, fp.size() - 2);
  size_t open = s.find("['");
  if (open == std::string_view::npos || open == 0) return false;
  path = s.substr(0, open);
  sub = s.substr(open + 2);
  return true;
}

class Validator {
 public:
  std::vector<FieldError> Run(const Pod& pod) {
    ValidateMetadata(pod.metadata);
    const PodSpec& spec = pod.spec;
    grace_period_ = spec.termination_grace_period_seconds;
    ValidateVolumes(spec.volumes);
    ValidateContainers(spec);
    ValidateInitContainers(spec);
    ValidatePodFields(spec);
    ValidateFileKeyRefVolumes(spec);
    for (size_t i = 0; i < spec.readiness_gates.size(); ++i) {
      AddInvalid(absl::StrCat("spec.readinessGates[", i, "].conditionType"),
                 spec.readiness_gates[i], IsQualifiedName(spec.readiness_gates[i]));
    }
    // Pod-level resources size the pod cgroup, which cubelet does not write
    // yet: refused rather than silently ignored.
    if (spec.resources.has_value() &&
        (!spec.resources->limits.empty() || !spec.resources->requests.empty())) {
      Add(ForbiddenError("spec.resources",
                         "pod-level resources are not supported by cubelet yet (it does not "
                         "set pod cgroup limits); set them on the containers"));
    }
    return std::move(errs_);
  }

 private:
  void Add(FieldError e) { errs_.push_back(std::move(e)); }

  void AddInvalid(const std::string& path, std::string_view value,
                  const std::vector<std::string>& msgs) {
    for (const std::string& msg : msgs) Add(InvalidError(path, value, msg));
  }

  // Upstream ValidateLabels: keys and values are both reported at the map.
  void ValidateLabels(const std::map<std::string, std::string>& labels, const std::string& path) {
    for (const auto& [key, value] : labels) {
      AddInvalid(path, key, IsQualifiedName(key));
      AddInvalid(path, value, IsValidLabelValue(value));
    }
  }

  void ValidateMetadata(const ObjectMeta& meta) {
    if (meta.name.empty()) {
      Add(RequiredError("metadata.name", "name or generateName is required"));
    } else {
      AddInvalid("metadata.name", meta.name, IsDNS1123Subdomain(meta.name));
    }
    if (meta.namespace_.empty()) {
      Add(RequiredError("metadata.namespace"));
    } else {
      AddInvalid("metadata.namespace", meta.namespace_, IsDNS1123Label(meta.namespace_));
    }
    ValidateLabels(meta.labels, "metadata.labels");
    int64_t total = 0;
    for (const auto& [key, value] : meta.annotations) {
      // Upstream lowercases before checking, so mixed-case annotation keys pass.
      std::string lower(key);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      AddInvalid("metadata.annotations", key, IsQualifiedName(lower));
      total += static_cast<int64_t>(key.size() + value.size());
    }
    if (total > kTotalAnnotationSizeLimit) {
      Add(TooLongError("metadata.annotations", kTotalAnnotationSizeLimit));
    }
  }

  void ValidateVolumes(const std::vector<Volume>& volumes) {
    std::set<std::string> seen;
    for (size_t i = 0; i < volumes.size(); ++i) {
      const Volume& v = volumes[i];
      std::string path = Index("spec.volumes", i);
      if (v.name.empty()) {
        Add(RequiredError(Child(path, "name")));
      } else {
        AddInvalid(Child(path, "name"), v.name, IsDNS1123Label(v.name));
        if (!seen.insert(v.name).second) Add(DuplicateError(Child(path, "name"), v.name));
      }
      int sources = 0;
      if (v.empty_dir) {
        ++sources;
        std::string ed = Child(path, "emptyDir");
        // The API server accepts any medium; the kubelet fails the mount of
        // one it does not know. cubelet refuses it up front.
        if (v.empty_dir->medium != "" && v.empty_dir->medium != "Memory") {
          Add(ForbiddenError(
              Child(ed, "medium"),
              absl::StrCat("not supported by cubelet (medium ", GoQuote(v.empty_dir->medium),
                           ": emptyDir volumes are on disk (\"\") or in memory "
                           "(\"Memory\"); HugePages media are not implemented)")));
        }
        if (v.empty_dir->size_limit) {
          ValidateQuantity(Child(ed, "sizeLimit"), *v.empty_dir->size_limit);
        }
      }
      if (v.host_path) {
        if (sources > 0) {
          Add(ForbiddenError(Child(path, "hostPath"), "may not specify more than 1 volume type"));
        }
        ++sources;
        std::string hp = Child(path, "hostPath");
        if (v.host_path->path.empty()) {
          Add(RequiredError(Child(hp, "path")));
        } else if (ContainsBacksteps(v.host_path->path)) {
          Add(InvalidError(Child(hp, "path"), v.host_path->path, "must not contain '..'"));
        }
        static const std::vector<std::string_view> kTypes = {
            "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
            "File", "FileOrCreate", "Socket"};
        if (std::find(kTypes.begin(), kTypes.end(), v.host_path->type) == kTypes.end()) {
          Add(NotSupportedError(Child(hp, "type"), v.host_path->type, kTypes));
        }
      }
      if (v.downward_api) {
        if (sources > 0) {
          Add(ForbiddenError(Child(path, "downwardAPI"),
                             "may not specify more than 1 volume type"));
        }
        ++sources;
        ValidateDownwardAPIVolume(*v.downward_api, Child(path, "downwardAPI"));
      }
      if (v.config_map) {
        if (sources > 0) {
          Add(ForbiddenError(Child(path, "configMap"), "may not specify more than 1 volume type"));
        }
        ++sources;
        std::string cp = Child(path, "configMap");
        if (v.config_map->name.empty()) Add(RequiredError(Child(cp, "name")));
        ValidateKeyToPaths(v.config_map->items, v.config_map->default_mode, cp);
      }
      if (v.secret) {
        if (sources > 0) {
          Add(ForbiddenError(Child(path, "secret"), "may not specify more than 1 volume type"));
        }
        ++sources;
        std::string sp = Child(path, "secret");
        if (v.secret->secret_name.empty()) Add(RequiredError(Child(sp, "secretName")));
        ValidateKeyToPaths(v.secret->items, v.secret->default_mode, sp);
      }
      if (v.projected) {
        if (sources > 0) {
          Add(ForbiddenError(Child(path, "projected"), "may not specify more than 1 volume type"));
        }
        ++sources;
        ValidateProjectedVolume(*v.projected, Child(path, "projected"));
      }
      for (const std::string& refused : v.refused_sources) {
        // Refused with the reason by api/unsupported.h; here only counted.
        if (sources > 0) {
          Add(ForbiddenError(Child(path, refused), "may not specify more than 1 volume type"));
        }
        ++sources;
      }
      if (sources == 0) Add(RequiredError(path, "must specify a volume type"));
      volume_names_.insert(v.name);
    }
  }

  static constexpr char kFileModeMsg[] =
      "must be a number between 0 and 0777 (octal), both inclusive";

  void ValidateFileMode(const std::optional<int32_t>& mode, const std::string& path) {
    if (mode && (*mode > 0777 || *mode < 0)) Add(InvalidIntError(path, *mode, kFileModeMsg));
  }

  // Upstream ValidateLocalNonReservedPath (after the emptiness check).
  void ValidateLocalNonReservedPath(const std::string& p, const std::string& pp) {
    if (p.starts_with("/")) Add(InvalidError(pp, p, "must be a relative path"));
    if (ContainsBacksteps(p)) Add(InvalidError(pp, p, "must not contain '..'"));
    if (p.starts_with("..")) Add(InvalidError(pp, p, "must not start with '..'"));
  }

  // Upstream validateConfigMapVolumeSource / validateSecretVolumeSource after
  // the name, with validateKeyToPath for each item.
  void ValidateKeyToPaths(const std::vector<KeyToPath>& items,
                          const std::optional<int32_t>& default_mode, const std::string& path) {
    ValidateFileMode(default_mode, Child(path, "defaultMode"));
    for (size_t i = 0; i < items.size(); ++i) {
      const KeyToPath& kp = items[i];
      std::string ip = Index(Child(path, "items"), i);
      if (kp.key.empty()) Add(RequiredError(Child(ip, "key")));
      if (kp.path.empty()) Add(RequiredError(Child(ip, "path")));
      ValidateLocalNonReservedPath(kp.path, Child(ip, "path"));
      ValidateFileMode(kp.mode, Child(ip, "mode"));
    }
  }

  // Upstream validateDownwardAPIVolumeSource / validateDownwardAPIVolumeFile.
  void ValidateDownwardAPIVolume(const DownwardAPIVolumeSource& d, const std::string& path) {
    ValidateFileMode(d.default_mode, Child(path, "defaultMode"));
    // As upstream, each file is reported at the volume source's path (no
    // items[i]), like the files of a projected downwardAPI source.
    for (const DownwardAPIVolumeFile& f : d.items) ValidateDownwardAPIFile(f, path);
  }

  void ValidateDownwardAPIFile(const DownwardAPIVolumeFile& f, const std::string& ip) {
    std::string pp = Child(ip, "path");
    if (f.path.empty()) Add(RequiredError(pp));
    ValidateLocalNonReservedPath(f.path, pp);
    if (f.field_ref) {
      ValidateObjectFieldSelector(*f.field_ref, /*env=*/false, Child(ip, "fieldRef"));
      if (f.resource_field_ref) {
        Add(InvalidError(ip, "resource",
                         "fieldRef and resourceFieldRef can not be specified simultaneously"));
      }
    } else if (f.resource_field_ref) {
      ValidateResourceFieldSelector(*f.resource_field_ref, Child(ip, "resourceFieldRef"),
                                    /*volume=*/true);
    } else {
      Add(RequiredError(ip, "one of fieldRef and resourceFieldRef is required"));
    }
    ValidateFileMode(f.mode, Child(ip, "mode"));
  }

  // Upstream validateProjectedVolumeSource / validateProjectionSources. As
  // upstream, a downwardAPI source's files are reported at the source's path.
  void ValidateProjectedVolume(const ProjectedVolumeSource& p, const std::string& path) {
    ValidateFileMode(p.default_mode, Child(path, "defaultMode"));
    std::set<std::string> paths;
    auto claim = [&](const std::string& file, const std::string& value) {
      if (file.empty()) return;
      if (!paths.insert(file).second) {
        Add(InvalidError(path, value, "conflicting duplicate paths"));
      }
    };
    for (size_t i = 0; i < p.sources.size(); ++i) {
      const VolumeProjection& src = p.sources[i];
      std::string sp = Index(Child(path, "sources"), i);
      int kinds = 0;
      auto key_to_paths = [&](const std::string& name, const std::vector<KeyToPath>& items,
                              const std::string& kp) {
        ++kinds;
        if (name.empty()) Add(RequiredError(Child(kp, "name")));
        for (size_t j = 0; j < items.size(); ++j) {
          std::string ip = Index(Child(kp, "items"), j);
          if (items[j].key.empty()) Add(RequiredError(Child(ip, "key")));
          if (items[j].path.empty()) Add(RequiredError(Child(ip, "path")));
          ValidateLocalNonReservedPath(items[j].path, Child(ip, "path"));
          ValidateFileMode(items[j].mode, Child(ip, "mode"));
          claim(items[j].path, name);
        }
      };
      if (src.secret) key_to_paths(src.secret->secret_name, src.secret->items, Child(sp, "secret"));
      if (src.config_map) {
        key_to_paths(src.config_map->name, src.config_map->items, Child(sp, "configMap"));
      }
      if (src.downward_api) {
        ++kinds;
        for (const DownwardAPIVolumeFile& f : src.downward_api->items) {
          ValidateDownwardAPIFile(f, Child(sp, "downwardAPI"));
          claim(f.path, f.path);
        }
      }
      if (src.service_account_token) {
        ++kinds;
        const ServiceAccountTokenProjection& t = *src.service_account_token;
        std::string tp = Child(sp, "serviceAccountToken");
        if (!t.expiration_seconds) {
          Add(RequiredError(Child(tp, "expirationSeconds")));
        } else if (*t.expiration_seconds < 10 * 60) {
          Add(InvalidIntError(Child(tp, "expirationSeconds"), *t.expiration_seconds,
                              "may not specify a duration less than 10 minutes"));
        } else if (*t.expiration_seconds > (int64_t{1} << 32)) {
          Add(InvalidIntError(Child(tp, "expirationSeconds"), *t.expiration_seconds,
                              "may not specify a duration larger than 2^32 seconds"));
        }
        if (t.path.empty()) {
          Add(RequiredError(Child(path, "path")));
        } else {
          ValidateLocalNonReservedPath(t.path, Child(path, "path"));
        }
      }
      kinds += static_cast<int>(src.refused_sources.size());
      if (kinds > 1) {
        Add(ForbiddenError(sp, "may not specify more than 1 volume type per source"));
      }
    }
  }

  void ValidateContainers(const PodSpec& spec) {
    if (spec.containers.empty()) Add(RequiredError("spec.containers"));
    std::map<std::string, std::string> host_ports;  // "80/TCP" -> first user
    for (size_t i = 0; i < spec.containers.size(); ++i) {
      const Container& c = spec.containers[i];
      std::string path = Index("spec.containers", i);
      ValidateContainerCommon(c, path, spec.host_network);
      ValidateProbe(c.liveness_probe, Child(path, "livenessProbe"), /*must_succeed_once=*/true);
      ValidateProbe(c.readiness_probe, Child(path, "readinessProbe"), false);
      ValidateProbe(c.startup_probe, Child(path, "startupProbe"), true);
      ValidateLifecycle(c.lifecycle, Child(path, "lifecycle"));
      ValidateContainerRestartPolicy(c, path);
      for (size_t j = 0; j < c.ports.size(); ++j) {
        const ContainerPort& p = c.ports[j];
        if (p.host_port == 0) continue;
        std::string key = absl::StrCat(p.host_port, "/", p.protocol);
        if (!host_ports.emplace(key, path).second) {
          Add(DuplicateError(Child(Index(Child(path, "ports"), j), "hostPort"), key));
        }
      }
    }
  }

  void ValidateInitContainers(const PodSpec& spec) {
    for (size_t i = 0; i < spec.init_containers.size(); ++i) {
      const Container& c = spec.init_containers[i];
      std::string path = Index("spec.initContainers", i);
      ValidateContainerCommon(c, path, spec.host_network);
      bool sidecar = IsRestartableInitContainer(c);
      ValidateContainerRestartPolicy(c, path);  // a sidecar ("Always") may carry rules too
      if (sidecar) {
        ValidateProbe(c.liveness_probe, Child(path, "livenessProbe"), true);
        ValidateProbe(c.readiness_probe, Child(path, "readinessProbe"), false);
        ValidateProbe(c.startup_probe, Child(path, "startupProbe"), true);
        ValidateLifecycle(c.lifecycle, Child(path, "lifecycle"));
      } else {
        if (c.liveness_probe) Add(ForbiddenError(Child(path, "livenessProbe"), kInitNoSidecarMsg));
        if (c.readiness_probe) {
          Add(ForbiddenError(Child(path, "readinessProbe"), kInitNoSidecarMsg));
        }
        if (c.startup_probe) Add(ForbiddenError(Child(path, "startupProbe"), kInitNoSidecarMsg));
        if (c.lifecycle) Add(ForbiddenError(Child(path, "lifecycle"), kInitNoSidecarMsg));
      }
    }
  }

  // Upstream validateContainerRestartPolicy (ContainerRestartRules, on by
  // default since 1.35): the policy, then each rule. RestartAllContainers
  // passes upstream's validation but cubelet cannot honour it, and says so.
  void ValidateContainerRestartPolicy(const Container& c, const std::string& path) {
    std::string rp = Child(path, "restartPolicy");
    if (!c.restart_policy.has_value()) {
      if (c.restart_policy_rules.empty()) return;
      Add(RequiredError(rp, "must specify restartPolicy when restart rules are used"));
    } else if (*c.restart_policy != kRestartAlways && *c.restart_policy != kRestartNever &&
               *c.restart_policy != kRestartOnFailure) {
      Add(NotSupportedError(rp, *c.restart_policy,
                            {kRestartAlways, kRestartNever, kRestartOnFailure}));
    }
    std::string rules = Child(path, "restartPolicyRules");
    if (c.restart_policy_rules.size() > 20) {
      Add(TooManyError(rules, c.restart_policy_rules.size(), 20));
    }
    for (size_t i = 0; i < c.restart_policy_rules.size(); ++i) {
      const ContainerRestartRule& rule = c.restart_policy_rules[i];
      std::string rule_path = Index(rules, i);
      if (rule.action == kRestartRuleActionRestartAllContainers) {
        Add(ForbiddenError(Child(rule_path, "action"),
                           "not supported by cubelet (RestartAllContainers: restart rules may "
                           "restart the container itself only)"));
      } else if (rule.action != kRestartRuleActionRestart) {
        Add(NotSupportedError(Child(rule_path, "action"), rule.action,
                              {kRestartRuleActionRestart, kRestartRuleActionRestartAllContainers}));
      }
      if (!rule.exit_codes.has_value()) {
        Add(RequiredError(Child(rule_path, "exitCodes"), "must be specified"));
        continue;
      }
      std::string codes = Child(rule_path, "exitCodes");
      if (rule.exit_codes->operator_ != kExitCodesOpIn &&
          rule.exit_codes->operator_ != kExitCodesOpNotIn) {
        Add(NotSupportedError(Child(codes, "operator"), rule.exit_codes->operator_,
                              {kExitCodesOpIn, kExitCodesOpNotIn}));
      }
      if (rule.exit_codes->values.size() > 255) {
        Add(TooManyError(Child(codes, "values"), rule.exit_codes->values.size(), 255));
      }
    }
  }

  // What init and regular containers share; names are unique across both
  // lists (regular containers are checked first, as upstream does).
  void ValidateContainerCommon(const Container& c, const std::string& path, bool host_network) {
    if (c.name.empty()) {
      Add(RequiredError(Child(path, "name")));
    } else {
      AddInvalid(Child(path, "name"), c.name, IsDNS1123Label(c.name));
      if (!container_names_.insert(c.name).second) {
        Add(DuplicateError(Child(path, "name"), c.name));
      }
    }
    if (c.image.empty()) {
      Add(RequiredError(Child(path, "image")));
    } else if (c.image.front() == ' ' || c.image.back() == ' ' || c.image.front() == '\t' ||
               c.image.back() == '\t') {
      Add(InvalidError(Child(path, "image"), c.image,
                       "must not have leading or trailing whitespace"));
    }
    if (c.image_pull_policy.empty()) {
      Add(RequiredError(Child(path, "imagePullPolicy")));
    } else if (c.image_pull_policy != kPullAlways && c.image_pull_policy != kPullIfNotPresent &&
               c.image_pull_policy != kPullNever) {
      Add(NotSupportedError(Child(path, "imagePullPolicy"), c.image_pull_policy,
                            {kPullAlways, kPullIfNotPresent, kPullNever}));
    }
    if (c.termination_message_policy.empty()) {
      Add(RequiredError(Child(path, "terminationMessagePolicy")));
    } else if (c.termination_message_policy != "File" &&
               c.termination_message_policy != "FallbackToLogsOnError") {
      Add(NotSupportedError(Child(path, "terminationMessagePolicy"), c.termination_message_policy,
                            {"FallbackToLogsOnError", "File"}));
    }
    ValidatePorts(c.ports, Child(path, "ports"), host_network);
    ValidateEnv(c.env, Child(path, "env"));
    ValidateEnvFrom(c.env_from, Child(path, "envFrom"));
    ValidateResources(c.resources, Child(path, "resources"));
    ValidateVolumeMounts(c.volume_mounts, Child(path, "volumeMounts"));
    if (c.security_context)
      ValidateSecurityContext(*c.security_context, Child(path, "securityContext"));
  }

  void ValidatePorts(const std::vector<ContainerPort>& ports, const std::string& path,
                     bool host_network) {
    std::set<std::string> names;
    for (size_t i = 0; i < ports.size(); ++i) {
      const ContainerPort& p = ports[i];
      std::string pp = Index(path, i);
      if (!p.name.empty()) {
        AddInvalid(Child(pp, "name"), p.name, IsValidPortName(p.name));
        if (!names.insert(p.name).second) Add(DuplicateError(Child(pp, "name"), p.name));
      }
      if (p.container_port == 0) {
        Add(RequiredError(Child(pp, "containerPort")));
      } else if (!IsValidPortNum(p.container_port)) {
        Add(InvalidIntError(Child(pp, "containerPort"), p.container_port, kPortRangeMsg));
      }
      if (p.host_port != 0 && !IsValidPortNum(p.host_port)) {
        Add(InvalidIntError(Child(pp, "hostPort"), p.host_port, kPortRangeMsg));
      }
      if (host_network && p.host_port != p.container_port) {
        Add(InvalidIntError(Child(pp, "hostPort"), p.host_port,
                            "must match `containerPort` when `hostNetwork` is true"));
      }
      if (p.protocol.empty()) {
        Add(RequiredError(Child(pp, "protocol")));
      } else if (p.protocol != "TCP" && p.protocol != "UDP" && p.protocol != "SCTP") {
        Add(NotSupportedError(Child(pp, "protocol"), p.protocol, {"SCTP", "TCP", "UDP"}));
      }
    }
  }

  void ValidateEnv(const std::vector<EnvVar>& env, const std::string& path) {
    for (size_t i = 0; i < env.size(); ++i) {
      const EnvVar& e = env[i];
      std::string ep = Index(path, i);
      if (e.name.empty()) {
        Add(RequiredError(Child(ep, "name")));
      } else {
        AddInvalid(Child(ep, "name"), e.name, IsEnvVarName(e.name));
      }
      if (e.value_from) ValidateEnvVarValueFrom(e, Child(ep, "valueFrom"));
    }
  }

  // Upstream validateEnvVarValueFrom: exactly one source, and not beside `value`.
  void ValidateEnvVarValueFrom(const EnvVar& e, const std::string& vp) {
    const EnvVarSource& from = *e.value_from;
    int sources = 0;
    if (from.field_ref) {
      ++sources;
      ValidateObjectFieldSelector(*from.field_ref, /*env=*/true, Child(vp, "fieldRef"));
    }
    if (from.resource_field_ref) {
      ++sources;
      ValidateResourceFieldSelector(*from.resource_field_ref, Child(vp, "resourceFieldRef"),
                                    /*volume=*/false);
    }
    if (from.config_map_key_ref) {
      ++sources;
      ValidateKeySelector(*from.config_map_key_ref, Child(vp, "configMapKeyRef"));
    }
    if (from.secret_key_ref) {
      ++sources;
      ValidateKeySelector(*from.secret_key_ref, Child(vp, "secretKeyRef"));
    }
    if (from.file_key_ref) {
      ++sources;
      ValidateFileKeySelector(*from.file_key_ref, Child(vp, "fileKeyRef"));
    }
    if (sources == 0) {
      Add(InvalidError(vp, "",
                       "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, "
                       "`secretKeyRef` or `fileKeyRef`"));
    } else if (!e.value.empty()) {
      Add(InvalidError(vp, "", "may not be specified when `value` is not empty"));
    } else if (sources > 1) {
      Add(InvalidError(vp, "", "may not have more than one field specified at a time"));
    }
  }

  // Upstream validateContainerResourceFieldSelector and
  // validateContainerResourceDivisor; hugepages are allowed in both places.
  void ValidateResourceFieldSelector(const ResourceFieldSelector& fs, const std::string& path,
                                     bool volume) {
    static const std::vector<std::string_view> kResources = {
        "limits.cpu",   "limits.ephemeral-storage",   "limits.memory",
        "requests.cpu", "requests.ephemeral-storage", "requests.memory"};
    if (volume && fs.container_name.empty()) {
      Add(RequiredError(Child(path, "containerName")));
    } else if (fs.resource.empty()) {
      Add(RequiredError(Child(path, "resource")));
    } else if (std::find(kResources.begin(), kResources.end(), fs.resource) == kResources.end() &&
               !fs.resource.starts_with("limits.hugepages-") &&
               !fs.resource.starts_with("requests.hugepages-")) {
      Add(NotSupportedError(Child(path, "resource"), fs.resource, kResources));
    }
    if (!fs.divisor || fs.divisor->empty() || !ValidateQuantitySyntax(*fs.divisor).ok()) return;
    absl::StatusOr<int64_t> milli = ParseMilliValue(*fs.divisor);
    if (milli.ok() && *milli == 0) return;  // zero is "unset"
    std::string dp = Child(path, "divisor");
    if (fs.resource == "limits.cpu" || fs.resource == "requests.cpu") {
      if (!milli.ok() || (*milli != 1 && *milli != 1000)) {
        Add(InvalidError(dp, fs.resource,
                         "only divisor's values 1m and 1 are supported with the cpu resource"));
      }
      return;
    }
    // Memory, ephemeral storage and hugepages: whole powers of 1000 or 1024
    // (1Ei's thousandths overflow: it is whole).
    absl::StatusOr<int64_t> value = ParseValue(*fs.divisor);
    bool whole = value.ok() && (!milli.ok() || *milli % 1000 == 0);
    int64_t v = whole ? *value : 0;
    bool power = false;
    for (int64_t p = 1; whole && p > 0 && p <= v; p *= 1000) power = power || p == v;
    for (int64_t p = 1; whole && p > 0 && p <= v; p *= 1024) power = power || p == v;
    if (!power) {
      std::string_view what = fs.resource.ends_with(".memory") ? "memory"
                              : fs.resource.ends_with(".ephemeral-storage")
                                  ? "local ephemeral storage"
                                  : "hugepages";
      Add(InvalidError(dp, fs.resource,
                       absl::StrCat("only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, "
                                    "1Gi, 1Ti, 1Pi, 1Ei are supported with the ",
                                    std::string(what), " resource")));
    }
  }

  // Upstream validateObjectFieldSelector. Env vars take single values only:
  // whole metadata.labels / metadata.annotations need a ['key'] subscript there
  // (downwardAPI volume files may name the whole map).
  void ValidateObjectFieldSelector(const ObjectFieldSelector& ref, bool env,
                                   const std::string& rp) {
    static const std::vector<std::string_view> kEnvPaths = {"metadata.name",
                                                            "metadata.namespace",
                                                            "metadata.uid",
                                                            "spec.nodeName",
                                                            "spec.serviceAccountName",
                                                            "status.hostIP",
                                                            "status.hostIPs",
                                                            "status.podIP",
                                                            "status.podIPs"};
    static const std::vector<std::string_view> kVolumePaths = {
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
        "metadata.uid"};
    if (ref.api_version.empty()) {
      Add(RequiredError(Child(rp, "apiVersion")));
      return;
    }
    if (ref.field_path.empty()) {
      Add(RequiredError(Child(rp, "fieldPath")));
      return;
    }
    std::string_view fp = ref.field_path;
    std::string_view base, sub;
    bool subscripted = SplitSubscriptedPath(fp, base, sub);
    std::string convert_error;
    if (ref.api_version != "v1") {
      convert_error = absl::StrCat("unsupported pod version: ", ref.api_version);
    } else if (subscripted && base != "metadata.annotations" && base != "metadata.labels") {
      convert_error = absl::StrCat("field label does not support subscript: ", std::string(fp));
    } else if (!subscripted && !IsConvertibleFieldPath(fp)) {
      convert_error = absl::StrCat("field label not supported: ", std::string(fp));
    }
    if (!convert_error.empty()) {
      Add(InvalidError(Child(rp, "fieldPath"), fp,
                       absl::StrCat("error converting fieldPath: ", convert_error)));
      return;
    }
    if (fp == "spec.host") fp = "spec.nodeName";  // old v1 clients' name for it
    if (subscripted) {
      std::string key(sub);
      if (base == "metadata.annotations") {
        for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      for (const std::string& msg : IsQualifiedName(key)) Add(InvalidError(rp, sub, msg));
      return;
    }
    const std::vector<std::string_view>& valid = env ? kEnvPaths : kVolumePaths;
    if (std::find(valid.begin(), valid.end(), fp) == valid.end()) {
      Add(NotSupportedError(Child(rp, "fieldPath"), fp, valid));
    }
  }

  // Upstream validateConfigMapKeySelector / validateSecretKeySelector.
  void ValidateKeySelector(const KeySelector& sel, const std::string& path) {
    AddInvalid(Child(path, "name"), sel.name, IsDNS1123Subdomain(sel.name));
    if (sel.key.empty()) {
      Add(RequiredError(Child(path, "key")));
    } else {
      AddInvalid(Child(path, "key"), sel.key, IsConfigMapKey(sel.key));
    }
  }

  // Upstream validateFileKeySelector.
  void ValidateFileKeySelector(const FileKeySelector& sel, const std::string& path) {
    if (sel.key.empty()) {
      Add(RequiredError(Child(path, "key")));
    } else {
      AddInvalid(Child(path, "key"), sel.key, IsEnvVarName(sel.key));
    }
    if (sel.volume_name.empty()) {
      Add(RequiredError(Child(path, "volumeName")));
    } else {
      AddInvalid(Child(path, "volumeName"), sel.volume_name, IsDNS1123Label(sel.volume_name));
    }
    if (sel.path.empty()) {
      Add(RequiredError(Child(path, "path")));
    } else if (ContainsBacksteps(sel.path)) {
      Add(InvalidError(Child(path, "path"), sel.path, "must not contain '..'"));
    }
  }

  // Upstream validateFileKeyRefVolumes: the volume must be the pod's, and an
  // emptyDir.
  void ValidateFileKeyRefVolumes(const PodSpec& spec) {
    auto visit = [&](const std::vector<Container>& containers, const char* field) {
      for (size_t i = 0; i < containers.size(); ++i) {
        const std::vector<EnvVar>& env = containers[i].env;
        for (size_t j = 0; j < env.size(); ++j) {
          if (!env[j].value_from || !env[j].value_from->file_key_ref) continue;
          const std::string& name = env[j].value_from->file_key_ref->volume_name;
          std::string vp = absl::StrCat("spec.", field, "[", i, "].env[", j,
                                        "].valueFrom.fileKeyRef.volumeName");
          auto v = std::find_if(spec.volumes.begin(), spec.volumes.end(),
                                [&](const Volume& vol) { return vol.name == name; });
          if (v == spec.volumes.end()) {
            Add(NotFoundError(vp, name));
          } else if (!v->empty_dir.has_value()) {
            Add(InvalidError(vp, name, "referenced volume must be of type emptyDir"));
          }
        }
      }
    };
    visit(spec.containers, "containers");
    visit(spec.init_containers, "initContainers");
  }

  // Upstream validateConfigMapEnvSource / validateSecretEnvSource.
  void ValidateEnvSourceRef(const OptionalObjectRef& ref, const std::string& path) {
    if (ref.name.empty()) {
      Add(RequiredError(Child(path, "name")));
    } else {
      AddInvalid(Child(path, "name"), ref.name, IsDNS1123Subdomain(ref.name));
    }
  }

  // Upstream ValidateEnvFrom: a prefix must itself be a valid name part, and
  // each entry names exactly one source.
  void ValidateEnvFrom(const std::vector<EnvFromSource>& env_from, const std::string& path) {
    for (size_t i = 0; i < env_from.size(); ++i) {
      const EnvFromSource& ef = env_from[i];
      std::string ip = Index(path, i);
      if (!ef.prefix.empty()) AddInvalid(Child(ip, "prefix"), ef.prefix, IsEnvVarName(ef.prefix));
      if (ef.config_map_ref) ValidateEnvSourceRef(*ef.config_map_ref, Child(ip, "configMapRef"));
      if (ef.secret_ref) ValidateEnvSourceRef(*ef.secret_ref, Child(ip, "secretRef"));
      int sources = (ef.config_map_ref ? 1 : 0) + (ef.secret_ref ? 1 : 0);
      if (sources == 0) {
        Add(InvalidError(path, "", "must specify one of: `configMapRef` or `secretRef`"));
      } else if (sources > 1) {
        Add(InvalidError(path, "", "may not have more than one field specified at a time"));
      }
    }
  }

  void ValidateQuantity(const std::string& path, const std::string& q) {
    if (!ValidateQuantitySyntax(q).ok()) {
      Add(InvalidError(path, q, kQuantityGrammarMessage));
    } else if (IsNegativeQuantity(q)) {
      Add(InvalidError(path, q, kNonNegativeMsg));
    }
  }

  // Compares two valid quantities; false when they cannot be compared.
  static bool Exceeds(const std::string& a, const std::string& b) {
    absl::StatusOr<int64_t> am = ParseMilliValue(a), bm = ParseMilliValue(b);
    if (am.ok() && bm.ok()) return *am > *bm;
    absl::StatusOr<int64_t> av = ParseValue(a), bv = ParseValue(b);
    return av.ok() && bv.ok() && *av > *bv;
  }

  void ValidateResources(const ResourceRequirements& r, const std::string& path) {
    std::string lim_path = Child(path, "limits");
    for (const auto& [name, q] : r.limits) {
      std::string lp = Key(lim_path, name);
      ValidateContainerResourceName(name, lp);
      ValidateResourceQuantity(name, q, lp);
    }
    for (const auto& [name, q] : r.requests) {
      std::string rp = Key(Child(path, "requests"), name);
      ValidateContainerResourceName(name, rp);
      ValidateResourceQuantity(name, q, rp);
      auto limit = r.limits.find(name);
      bool comparable = limit != r.limits.end() && ValidateQuantitySyntax(q).ok() &&
                        ValidateQuantitySyntax(limit->second).ok();
      if (comparable && !IsOvercommitAllowed(name) &&
          (Exceeds(q, limit->second) || Exceeds(limit->second, q))) {
        Add(InvalidError(Child(path, "requests"), q,
                         absl::StrCat("must be equal to ", name, " limit of ", limit->second)));
      } else if (comparable && Exceeds(q, limit->second)) {
        Add(InvalidError(
            Child(path, "requests"), q,
            absl::StrCat("must be less than or equal to ", name, " limit of ", limit->second)));
      } else if (limit == r.limits.end() && !IsOvercommitAllowed(name)) {
        Add(RequiredError(lim_path, "Limit must be set for non overcommitable resources"));
      }
    }
  }

  // Upstream validateContainerResourceName (with validateResourceName): an
  // unprefixed name must be a standard container resource; a prefixed one
  // outside kubernetes.io/ must be a valid extended resource name.
  void ValidateContainerResourceName(const std::string& name, const std::string& path) {
    std::vector<std::string> msgs = IsQualifiedName(name);
    AddInvalid(path, name, msgs);
    bool unprefixed = name.find('/') == std::string::npos;
    if (msgs.empty() && unprefixed && !IsStandardResourceName(name)) {
      Add(InvalidError(path, name, "must be a standard resource type or fully qualified"));
    }
    if (unprefixed) {
      if (!IsStandardContainerResourceName(name)) {
        Add(InvalidError(path, name, "must be a standard resource for containers"));
      }
    } else if (!IsNativeResource(name) && !IsExtendedResourceName(name)) {
      Add(InvalidError(path, name, "doesn't follow extended resource name standard"));
    }
  }

  // ValidateResourceQuantityValue: non-negative; extended resources are whole.
  void ValidateResourceQuantity(const std::string& name, const std::string& q,
                                const std::string& path) {
    ValidateQuantity(path, q);
    if (!IsExtendedResourceName(name) || !ValidateQuantitySyntax(q).ok()) return;
    absl::StatusOr<int64_t> milli = ParseMilliValue(q);
    if (milli.ok() && *milli % 1000 != 0) Add(InvalidError(path, q, "must be an integer"));
  }

  void ValidateVolumeMounts(const std::vector<VolumeMount>& mounts, const std::string& path) {
    std::set<std::string> mount_paths;
    for (size_t i = 0; i < mounts.size(); ++i) {
      const VolumeMount& m = mounts[i];
      std::string mp = Index(path, i);
      if (m.name.empty()) {
        Add(RequiredError(Child(mp, "name")));
      } else if (volume_names_.count(m.name) == 0) {
        Add(NotFoundError(Child(mp, "name"), m.name));
      }
      if (m.mount_path.empty()) {
        Add(RequiredError(Child(mp, "mountPath")));
      } else if (!mount_paths.insert(m.mount_path).second) {
        Add(InvalidError(Child(mp, "mountPath"), m.mount_path, "must be unique"));
      }
      if (!m.sub_path.empty()) {
        if (m.sub_path.front() == '/') {
          // Upstream reports it at the list's path, without the index.
          Add(InvalidError(Child(path, "subPath"), m.sub_path, "must be a relative path"));
        }
        if (ContainsBacksteps(m.sub_path)) {
          Add(InvalidError(Child(path, "subPath"), m.sub_path, "must not contain '..'"));
        }
      }
      if (m.recursive_read_only.has_value())
        ValidateRecursiveReadOnly(m, Child(mp, "recursiveReadOnly"));
    }
  }

  // Upstream validateMountRecursiveReadOnly.
  void ValidateRecursiveReadOnly(const VolumeMount& m, const std::string& path) {
    const std::string& mode = *m.recursive_read_only;
    if (mode == "Disabled") return;
    if (mode == "Enabled" || mode == "IfPossible") {
      if (!m.read_only) Add(ForbiddenError(path, "may only be specified when readOnly is true"));
      if (m.mount_propagation.has_value() && *m.mount_propagation != "None") {
        Add(ForbiddenError(path,
                           "may only be specified when mountPropagation is None or not specified"));
      }
      return;
    }
    Add(NotSupportedError(path, mode, {"Disabled", "Enabled", "IfPossible"}));
  }

  void ValidateSecurityContext(const SecurityContext& sc, const std::string& path) {
    ValidateID(sc.run_as_user, Child(path, "runAsUser"));
    ValidateID(sc.run_as_group, Child(path, "runAsGroup"));
    if (sc.seccomp_profile)
      ValidateSeccompProfile(*sc.seccomp_profile, Child(path, "seccompProfile"));
    if (sc.app_armor_profile)
      ValidateAppArmorProfile(*sc.app_armor_profile, Child(path, "appArmorProfile"));
    if (sc.privileged.value_or(false) && sc.allow_privilege_escalation.has_value() &&
        !*sc.allow_privilege_escalation) {
      Add(InvalidError(path, "",
                       "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"));
    }
  }

  // Upstream validateSysctls / IsValidSysctlName / ValidateHostSysctl.
  void ValidateSysctls(const std::vector<Sysctl>& sysctls, const PodSpec& spec,
                       const std::string& path) {
    std::set<std::string> names;
    for (size_t i = 0; i < sysctls.size(); ++i) {
      const std::string& name = sysctls[i].name;
      std::string np = Child(Index(path, i), "name");
      if (name.empty()) {
        Add(RequiredError(np));
      } else if (!IsValidSysctlName(name)) {
        Add(InvalidError(
            np, name,
            "must have at most 253 characters and match regex "
            "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"));
      } else if (names.count(name) != 0) {
        Add(DuplicateError(np, name));
      }
      // ValidateHostSysctl: the namespace the sysctl belongs to
      // (utilsysctl.GetNamespace: normalized, a pattern's '*' cut off).
      const std::string_view ns = SysctlNamespace(name);
      if (spec.host_network && ns == "Net") {
        Add(InvalidError(np, name, "may not be specified when 'hostNetwork' is true"));
      } else if (spec.host_ipc && ns == "IPC") {
        Add(InvalidError(np, name, "may not be specified when 'hostIPC' is true"));
      }
      names.insert(name);
    }
  }

  // Segments of [a-z0-9]([-_a-z0-9]*[a-z0-9])? joined by '.' or '/'.
  static bool IsValidSysctlName(std::string_view name) {
    if (name.size() > 253) return false;
    size_t start = 0;
    while (true) {
      size_t end = name.find_first_of("./", start);
      std::string_view seg = name.substr(start, end == std::string_view::npos ? end : end - start);
      if (seg.empty() || !IsLowerAlnum(seg.front()) || !IsLowerAlnum(seg.back())) return false;
      for (char c : seg) {
        if (!IsLowerAlnum(c) && c != '-' && c != '_') return false;
      }
      if (end == std::string_view::npos) return true;
      start = end + 1;
    }
  }

  // IsValidUserID / IsValidGroupID.
  void ValidateID(const std::optional<int64_t>& id, const std::string& path) {
    if (id && (*id < 0 || *id > 2147483647)) Add(InvalidIntError(path, *id, kUserIDMsg));
  }

  // Upstream ValidateAppArmorProfileField.
  void ValidateAppArmorProfile(const AppArmorProfile& p, const std::string& path) {
    const std::string lp = Child(path, "localhostProfile");
    if (p.type == kSeccompLocalhost) {
      if (!p.localhost_profile) {
        Add(RequiredError(lp, "must be set when AppArmor type is Localhost"));
        return;
      }
      const std::string& name = *p.localhost_profile;
      const std::string trimmed(absl::StripAsciiWhitespace(name));
      if (trimmed != name) {
        Add(InvalidError(lp, name, "must not be padded with whitespace"));
      } else if (trimmed.empty()) {
        Add(RequiredError(lp, "must be set when AppArmor type is Localhost"));
      }
      if (name.size() > 4095) Add(TooLongError(lp, 4095));  // PATH_MAX - 1
    } else if (p.type == kSeccompRuntimeDefault || p.type == kSeccompUnconfined) {
      if (p.localhost_profile) {
        Add(InvalidError(lp, *p.localhost_profile,
                         "can only be set when AppArmor type is Localhost"));
      }
    } else if (p.type.empty()) {
      Add(RequiredError(Child(path, "type"), "type is required when appArmorProfile is set"));
    } else {
      Add(NotSupportedError(Child(path, "type"), p.type,
                            {kSeccompLocalhost, kSeccompRuntimeDefault, kSeccompUnconfined}));
    }
  }

  // Upstream validateSeccompProfileField.
  void ValidateSeccompProfile(const SeccompProfile& sp, const std::string& path) {
    std::string tp = Child(path, "type");
    if (sp.type.empty()) {
      Add(RequiredError(tp, "type is required when seccompProfile is set"));
    } else if (sp.type != kSeccompLocalhost && sp.type != kSeccompRuntimeDefault &&
               sp.type != kSeccompUnconfined) {
      Add(NotSupportedError(tp, sp.type,
                            {kSeccompLocalhost, kSeccompRuntimeDefault, kSeccompUnconfined}));
    }
    std::string lp = Child(path, "localhostProfile");
    if (sp.type == kSeccompLocalhost) {
      if (!sp.localhost_profile) {
        Add(RequiredError(lp, "must be set when seccomp type is Localhost"));
      } else {
        if (sp.localhost_profile->starts_with("/")) {
          Add(InvalidError(lp, *sp.localhost_profile, "must be a relative path"));
        }
        if (ContainsBacksteps(*sp.localhost_profile)) {
          Add(InvalidError(lp, *sp.localhost_profile, "must not contain '..'"));
        }
      }
    } else if (sp.localhost_profile) {
      Add(InvalidError(lp, *sp.localhost_profile,
                       "can only be set when seccomp type is Localhost"));
    }
  }

  // Upstream validatePodSpecSecurityContext, for the fields cubelet models.
  void ValidatePodSecurityContext(const PodSpec& spec) {
    const std::string path = "spec.securityContext";
    if (spec.security_context) {
      const PodSecurityContext& sc = *spec.security_context;
      ValidateID(sc.fs_group, Child(path, "fsGroup"));
      ValidateID(sc.run_as_user, Child(path, "runAsUser"));
      ValidateID(sc.run_as_group, Child(path, "runAsGroup"));
      for (size_t i = 0; i < sc.supplemental_groups.size(); ++i) {
        ValidateID(sc.supplemental_groups[i], Index(Child(path, "supplementalGroups"), i));
      }
    }
    if (spec.host_pid && spec.share_process_namespace.value_or(false)) {
      Add({"spec.shareProcessNamespace",
           "Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled"});
    }
    if (!spec.security_context) return;
    const PodSecurityContext& sc = *spec.security_context;
    if (sc.fs_group_change_policy && *sc.fs_group_change_policy != "Always" &&
        *sc.fs_group_change_policy != "OnRootMismatch") {
      Add(NotSupportedError(Child(path, "fsGroupChangePolicy"), *sc.fs_group_change_policy,
                            {"Always", "OnRootMismatch"}));
    }
    if (sc.seccomp_profile)
      ValidateSeccompProfile(*sc.seccomp_profile, Child(path, "seccompProfile"));
    if (sc.app_armor_profile)
      ValidateAppArmorProfile(*sc.app_armor_profile, Child(path, "appArmorProfile"));
    ValidateSysctls(sc.sysctls, spec, Child(path, "sysctls"));
  }

  // Upstream validatePodDNSConfig (searches as with RelaxedDNSSearchValidation).
  void ValidatePodDNSConfig(const PodSpec& spec) {
    const std::string path = "spec.dnsConfig";
    if (spec.dns_policy == kDNSNone) {
      if (!spec.dns_config) {
        Add(RequiredError(path, "must provide `dnsConfig` when `dnsPolicy` is None"));
        return;
      }
      if (spec.dns_config->nameservers.empty()) {
        Add(RequiredError(Child(path, "nameservers"),
                          "must provide at least one DNS nameserver when `dnsPolicy` is None"));
        return;
      }
    }
    if (!spec.dns_config) return;
    const PodDNSConfig& dc = *spec.dns_config;
    constexpr size_t kMaxNameservers = 3, kMaxSearchPaths = 32, kMaxSearchChars = 2048;
    if (dc.nameservers.size() > kMaxNameservers) {
      Add({Child(path, "nameservers"),
           absl::StrCat("Invalid value: ", RenderList(dc.nameservers), ": must not have more than ",
                        kMaxNameservers, " nameservers")});
    }
    for (size_t i = 0; i < dc.nameservers.size(); ++i) {
      if (!IsSloppyIP(dc.nameservers[i])) {
        Add(InvalidError(Index(Child(path, "nameservers"), i), dc.nameservers[i], kInvalidIPMsg));
      }
    }
    if (dc.searches.size() > kMaxSearchPaths) {
      Add({Child(path, "searches"),
           absl::StrCat("Invalid value: ", RenderList(dc.searches), ": must not have more than ",
                        kMaxSearchPaths, " search paths")});
    }
    if (absl::StrJoin(dc.searches, " ").size() > kMaxSearchChars) {
      Add({Child(path, "searches"),
           absl::StrCat("Invalid value: ", RenderList(dc.searches), ": must not have more than ",
                        kMaxSearchChars, " characters (including spaces) in the search list")});
    }
    for (size_t i = 0; i < dc.searches.size(); ++i) {
      std::string_view search = dc.searches[i];
      if (search == ".") continue;
      if (search.ends_with(".")) search.remove_suffix(1);
      std::string underscores_ok(search);
      for (char& c : underscores_ok) {
        if (c == '_') c = 'a';
      }
      if (IsDNS1123Subdomain(underscores_ok).empty()) continue;
      AddInvalid(Index(Child(path, "searches"), i), search, IsDNS1123Subdomain(search));
    }
    for (size_t i = 0; i < dc.options.size(); ++i) {
      if (dc.options[i].name.empty()) {
        Add(RequiredError(Index(Child(path, "options"), i), "Option.Name must not be empty"));
      }
    }
  }

  // Upstream validateTolerations.
  void ValidateTolerations(const std::vector<Toleration>& tolerations) {
    for (size_t i = 0; i < tolerations.size(); ++i) {
      const Toleration& t = tolerations[i];
      std::string ip = Index("spec.tolerations", i);
      if (!t.key.empty()) AddInvalid(Child(ip, "key"), t.key, IsQualifiedName(t.key));
      if (t.key.empty() && t.operator_ != "Exists") {
        Add(InvalidError(Child(ip, "operator"), t.operator_,
                         "operator must be Exists when `key` is empty, which means \"match all "
                         "values and all keys\""));
      }
      if (t.toleration_seconds && t.effect != "NoExecute") {
        Add(InvalidError(Child(ip, "effect"), t.effect,
                         "effect must be 'NoExecute' when `tolerationSeconds` is set"));
      }
      if (t.operator_.empty() || t.operator_ == "Equal") {
        std::vector<std::string> msgs = IsValidLabelValue(t.value);
        if (!msgs.empty()) {
          Add(InvalidError(Child(ip, "operator"), t.value, absl::StrJoin(msgs, ";")));
        }
      } else if (t.operator_ == "Exists") {
        if (!t.value.empty()) {
          Add(InvalidError(Child(ip, "operator"), t.value,
                           "value must be empty when `operator` is 'Exists'"));
        }
      } else {
        Add(NotSupportedError(Child(ip, "operator"), t.operator_, {"Equal", "Exists"}));
      }
      if (!t.effect.empty() && t.effect != "NoSchedule" && t.effect != "PreferNoSchedule" &&
          t.effect != "NoExecute") {
        Add(NotSupportedError(Child(ip, "effect"), t.effect,
                              {"NoSchedule", "PreferNoSchedule", "NoExecute"}));
      }
    }
  }

  // Upstream ValidateHostAliases.
  void ValidateHostAliases(const std::vector<HostAlias>& aliases) {
    for (size_t i = 0; i < aliases.size(); ++i) {
      std::string ip = Index("spec.hostAliases", i);
      if (!IsSloppyIP(aliases[i].ip)) {
        Add(InvalidError(Child(ip, "ip"), aliases[i].ip, kInvalidIPMsg));
      }
      for (size_t j = 0; j < aliases[i].hostnames.size(); ++j) {
        const std::string& h = aliases[i].hostnames[j];
        AddInvalid(Index(Child(ip, "hostnames"), j), h, IsDNS1123Subdomain(h));
      }
    }
  }

  void ValidatePortNumOrName(const IntOrString& port, const std::string& path) {
    if (port.is_string) {
      if (port.string_value.empty()) {
        Add(RequiredError(path));
      } else {
        AddInvalid(path, port.string_value, IsValidPortName(port.string_value));
      }
    } else if (!IsValidPortNum(port.int_value)) {
      Add(InvalidIntError(path, port.int_value, kPortRangeMsg));
    }
  }

  void ValidateExec(const ExecAction& a, const std::string& path) {
    if (a.command.empty()) Add(RequiredError(Child(path, "command")));
  }

  void ValidateHTTPGet(const HTTPGetAction& a, const std::string& path) {
    if (a.path.empty()) Add(RequiredError(Child(path, "path")));
    ValidatePortNumOrName(a.port, Child(path, "port"));
    if (a.scheme != "HTTP" && a.scheme != "HTTPS") {
      Add(NotSupportedError(Child(path, "scheme"), a.scheme, {"HTTP", "HTTPS"}));
    }
    for (const HTTPHeader& header : a.http_headers) {
      const std::string& name = header.name;
      bool ok = !name.empty();
      for (char c : name) ok = ok && (IsAlnum(c) || c == '-');
      if (!ok) {
        // Upstream reports it at the list's path, without index or member.
        Add(InvalidError(Child(path, "httpHeaders"), name,
                         "a valid HTTP header must consist of alphanumeric characters or '-' "
                         "(e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"));
      }
    }
  }

  void ValidateTCPSocket(const TCPSocketAction& a, const std::string& path) {
    ValidatePortNumOrName(a.port, Child(path, "port"));
  }

  // Counts the handlers set so far; a second one is Forbidden on its own path.
  bool CountHandler(int& count, const std::string& path, const char* name) {
    if (count++ > 0) {
      Add(ForbiddenError(Child(path, name), "may not specify more than 1 handler type"));
      return false;
    }
    return true;
  }

  void ValidateProbe(const std::optional<Probe>& probe, const std::string& path,
                     bool must_succeed_once) {
    if (!probe) return;
    const ProbeHandler& h = probe->handler;
    int count = 0;
    if (h.exec && CountHandler(count, path, "exec")) ValidateExec(*h.exec, Child(path, "exec"));
    if (h.http_get && CountHandler(count, path, "httpGet")) {
      ValidateHTTPGet(*h.http_get, Child(path, "httpGet"));
    }
    if (h.tcp_socket && CountHandler(count, path, "tcpSocket")) {
      ValidateTCPSocket(*h.tcp_socket, Child(path, "tcpSocket"));
    }
    if (h.grpc && CountHandler(count, path, "grpc") && !IsValidPortNum(h.grpc->port)) {
      Add(InvalidIntError(Child(Child(path, "grpc"), "port"), h.grpc->port, kPortRangeMsg));
    }
    if (count == 0) Add(RequiredError(path, "must specify a handler type"));
    if (probe->initial_delay_seconds < 0) {
      Add(InvalidIntError(Child(path, "initialDelaySeconds"), probe->initial_delay_seconds,
                          kNonNegativeMsg));
    }
    auto at_least_one = [&](int32_t v, const char* field) {
      if (v < 1) Add(InvalidIntError(Child(path, field), v, kAtLeastOneMsg));
    };
    at_least_one(probe->timeout_seconds, "timeoutSeconds");
    at_least_one(probe->period_seconds, "periodSeconds");
    at_least_one(probe->success_threshold, "successThreshold");
    at_least_one(probe->failure_threshold, "failureThreshold");
    if (must_succeed_once && probe->success_threshold > 1) {
      Add(InvalidIntError(Child(path, "successThreshold"), probe->success_threshold, "must be 1"));
    }
    if (probe->termination_grace_period_seconds && *probe->termination_grace_period_seconds <= 0) {
      Add(InvalidIntError(Child(path, "terminationGracePeriodSeconds"),
                          *probe->termination_grace_period_seconds, "must be greater than 0"));
    }
  }

  void ValidateLifecycleHandler(const LifecycleHandler& h, const std::string& path) {
    int count = 0;
    if (h.exec && CountHandler(count, path, "exec")) ValidateExec(*h.exec, Child(path, "exec"));
    if (h.http_get && CountHandler(count, path, "httpGet")) {
      ValidateHTTPGet(*h.http_get, Child(path, "httpGet"));
    }
    if (h.tcp_socket && CountHandler(count, path, "tcpSocket")) {
      ValidateTCPSocket(*h.tcp_socket, Child(path, "tcpSocket"));
    }
    if (h.sleep && CountHandler(count, path, "sleep") && grace_period_ &&
        (h.sleep->seconds < 0 || h.sleep->seconds > *grace_period_)) {
      Add(InvalidIntError(Child(path, "sleep"), h.sleep->seconds,
                          absl::StrCat("must be non-negative and less than "
                                       "terminationGracePeriodSeconds (",
                                       *grace_period_, ")")));
    }
    if (count == 0) Add(RequiredError(path, "must specify a handler type"));
  }

  void ValidateLifecycle(const std::optional<Lifecycle>& lc, const std::string& path) {
    if (!lc) return;
    if (lc->post_start) ValidateLifecycleHandler(*lc->post_start, Child(path, "postStart"));
    if (lc->pre_stop) ValidateLifecycleHandler(*lc->pre_stop, Child(path, "preStop"));
  }

  void ValidatePodFields(const PodSpec& spec) {
    if (spec.restart_policy.empty()) {
      Add(RequiredError("spec.restartPolicy"));
    } else if (spec.restart_policy != kRestartAlways && spec.restart_policy != kRestartNever &&
               spec.restart_policy != kRestartOnFailure) {
      Add(NotSupportedError("spec.restartPolicy", spec.restart_policy,
                            {kRestartAlways, kRestartNever, kRestartOnFailure}));
    }
    if (spec.dns_policy.empty()) {
      Add(RequiredError("spec.dnsPolicy"));
    } else if (spec.dns_policy != "ClusterFirst" && spec.dns_policy != "ClusterFirstWithHostNet" &&
               spec.dns_policy != "Default" && spec.dns_policy != "None") {
      Add(NotSupportedError("spec.dnsPolicy", spec.dns_policy,
                            {"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"}));
    }
    ValidatePodSecurityContext(spec);
    ValidatePodDNSConfig(spec);
    if (spec.termination_grace_period_seconds && *spec.termination_grace_period_seconds < 0) {
      Add(InvalidIntError("spec.terminationGracePeriodSeconds",
                          *spec.termination_grace_period_seconds, kNonNegativeMsg));
    }
    if (spec.active_deadline_seconds &&
        (*spec.active_deadline_seconds < 1 || *spec.active_deadline_seconds > 2147483647)) {
      Add(InvalidIntError("spec.activeDeadlineSeconds", *spec.active_deadline_seconds,
                          "must be between 1 and 2147483647, inclusive"));
    }
    // Upstream validatePodHostName.
    if (spec.hostname_override.has_value()) {
      const std::string& h = *spec.hostname_override;
      if (spec.set_hostname_as_fqdn.value_or(false)) {
        Add(ForbiddenError("spec.hostnameOverride",
                           "may not be specified when setHostnameAsFQDN is true"));
      }
      if (spec.host_network) {
        Add(ForbiddenError("spec.hostnameOverride",
                           "may not be specified when hostNetwork is true"));
      }
      if (h.size() > 64) Add(TooLongError("spec.hostnameOverride", 64));
      AddInvalid("spec.hostnameOverride", h, IsDNS1123Subdomain(h));
    }
    if (!spec.node_name.empty()) {
      AddInvalid("spec.nodeName", spec.node_name, IsDNS1123Subdomain(spec.node_name));
    }
    if (!spec.hostname.empty()) {
      AddInvalid("spec.hostname", spec.hostname, IsDNS1123Label(spec.hostname));
    }
    if (!spec.subdomain.empty()) {
      AddInvalid("spec.subdomain", spec.subdomain, IsDNS1123Label(spec.subdomain));
    }
    ValidateTolerations(spec.tolerations);
    ValidateHostAliases(spec.host_aliases);
    ValidateLabels(spec.node_selector, "spec.nodeSelector");
    if (spec.runtime_class_name) {
      AddInvalid("spec.runtimeClassName", *spec.runtime_class_name,
                 IsDNS1123Subdomain(*spec.runtime_class_name));
    }
    // Upstream validateOS.
    if (spec.os) {
      if (spec.os->name.empty()) {
        Add(RequiredError("spec.os.name"));
      } else if (spec.os->name != "linux" && spec.os->name != "windows") {
        Add(NotSupportedError("spec.os", spec.os->name, {"linux", "windows"}));
      }
    }
    // Upstream validateHostUsers: a user namespace shares no host namespace.
    if (spec.host_users.has_value() && !*spec.host_users) {
      if (spec.host_network) Add(ForbiddenError("spec.hostNetwork", "when `hostUsers` is false"));
      if (spec.host_pid) Add(ForbiddenError("spec.HostPID", "when `hostUsers` is false"));
      if (spec.host_ipc) Add(ForbiddenError("spec.HostIPC", "when `hostUsers` is false"));
    }
  }

  std::vector<FieldError> errs_;
  std::optional<int64_t> grace_period_;  // the pod's, for sleep actions
  std::set<std::string> volume_names_;
  std::set<std::string> container_names_;
};

}  // namespace

std::string FieldError::ToString() const {
  return field.empty() ? detail : absl::StrCat(field, ": ", detail);
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        } else {
          out.push_back(ch);
        }
    }
  }
  out += "\"";
  return out;
}

FieldError RequiredError(std::string field, std::string_view detail) {
  return {std::move(field), detail.empty() ? "Required value"
                                           : absl::StrCat("Required value: ", std::string(detail))};
}

FieldError ForbiddenError(std::string field, std::string_view detail) {
  return {std::move(field),
          detail.empty() ? "Forbidden" : absl::StrCat("Forbidden: ", std::string(detail))};
}

FieldError InvalidError(std::string field, std::string_view value, std::string_view detail) {
  std::string body = absl::StrCat("Invalid value: ", GoQuote(value));
  if (!detail.empty()) absl::StrAppend(&body, ": ", std::string(detail));
  return {std::move(field), std::move(body)};
}

FieldError InvalidIntError(std::string field, int64_t value, std::string_view detail) {
  std::string body = absl::StrCat("Invalid value: ", value);
  if (!detail.empty()) absl::StrAppend(&body, ": ", std::string(detail));
  return {std::move(field), std::move(body)};
}

FieldError DuplicateError(std::string field, std::string_view value) {
  return {std::move(field), absl::StrCat("Duplicate value: ", GoQuote(value))};
}

FieldError NotFoundError(std::string field, std::string_view value) {
  return {std::move(field), absl::StrCat("Not found: ", GoQuote(value))};
}

FieldError NotSupportedError(std::string field, std::string_view value,
                             const std::vector<std::string_view>& supported) {
  std::string body = absl::StrCat("Unsupported value: ", GoQuote(value));
  if (!supported.empty()) {
    absl::StrAppend(&body, ": supported values: ",
                    absl::StrJoin(supported, ", ", [](std::string* out, std::string_view v) {
                      out->append(GoQuote(v));
                    }));
  }
  return {std::move(field), std::move(body)};
}

FieldError TooManyError(std::string field, int64_t actual, int64_t max_items) {
  return {std::move(field),
          absl::StrCat("Too many: ", actual, ": must have at most ", max_items, " items")};
}

FieldError TooLongError(std::string field, int64_t max_bytes) {
  return {std::move(field), absl::StrCat("Too long: must have at most ", max_bytes, " bytes")};
}

std::vector<std::string> IsDNS1123Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDNS1123LabelMaxLength) errs.push_back(MaxLenMsg(kDNS1123LabelMaxLength));
  if (!MatchesLabelRegex(value)) errs.push_back(kDNS1123LabelErrorMsg);
  return errs;
}

std::vector<std::string> IsDNS1123Subdomain(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDNS1123SubdomainMaxLength) {
    errs.push_back(MaxLenMsg(kDNS1123SubdomainMaxLength));
  }
  bool ok = !value.empty();
  size_t start = 0;
  while (ok && start <= value.size()) {
    size_t dot = value.find('.', start);
    if (dot == std::string_view::npos) dot = value.size();
    ok = MatchesLabelRegex(value.substr(start, dot - start));
    start = dot + 1;
  }
  if (!ok) errs.push_back(kDNS1123SubdomainErrorMsg);
  return errs;
}

std::vector<std::string> IsEnvVarName(std::string_view name) {
  bool ok = true;
  for (char c : name) ok = ok && c >= ' ' && c <= '~' && c != '=';
  if (ok) return {};
  return {
      "a valid environment variable name must consist only of printable ASCII characters "
      "other than '='"};
}

std::vector<FieldError> ValidatePod(const Pod& pod) { return Validator().Run(pod); }

}  // namespace cubelet::api
