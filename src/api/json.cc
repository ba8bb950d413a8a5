#include "api/json.h"

#include <charconv>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace cubelet::api {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Decoding

constexpr size_t kMaxRenderedValue = 64;

// How a wrong value is shown in messages: at most a short prefix of it.
std::string RenderValue(const json& v) { return RenderJsonPrefix(v, kMaxRenderedValue); }

// Appends the compact JSON form of `v` to `out` until `out` holds more than
// `max` bytes. Recursion is bounded by `max` too: every level adds a byte.
void AppendJsonPrefix(const json& v, size_t max, std::string& out) {
  if (out.size() > max) return;
  if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const json& item : v) {
      if (out.size() > max) return;
      if (!first) out.push_back(',');
      first = false;
      AppendJsonPrefix(item, max, out);
    }
    out.push_back(']');
  } else if (v.is_object()) {
    out.push_back('{');
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (out.size() > max) return;
      if (!first) out.push_back(',');
      first = false;
      out += json(TruncateUtf8(it.key(), max)).dump(-1, ' ', false, json::error_handler_t::replace);
      out.push_back(':');
      AppendJsonPrefix(it.value(), max, out);
    }
    out.push_back('}');
  } else if (v.is_string()) {
    out += json(TruncateUtf8(v.get_ref<const std::string&>(), max))
               .dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    out += v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

std::string Child(std::string_view path, std::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(std::string(path), ".", std::string(name));
}

std::string FormatDouble(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (ec != std::errc()) return json(d).dump();
  return std::string(buf, end);
}

// A view of one JSON object being decoded at `path`, recording type errors.
// With `unread` set, the members never asked for are appended to it (as
// paths) when the view goes away: what the decoder does not know.
class Obj {
 public:
  Obj(std::vector<FieldError>& errs, const json& j, std::string path,
      std::vector<std::string>* unread = nullptr)
      : errs_(errs), j_(j), path_(std::move(path)), unread_(unread) {}
  Obj(const Obj&) = delete;
  Obj& operator=(const Obj&) = delete;
  ~Obj() {
    if (unread_ == nullptr) return;
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (asked_.count(it.key()) == 0) unread_->push_back(Child(path_, it.key()));
    }
  }

  const std::string& path() const { return path_; }
  std::vector<FieldError>& errs() { return errs_; }

  // The member, or nullptr when absent or null (null means "unset" in Go).
  const json* At(const char* key) {
    if (unread_ != nullptr) asked_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void TypeError(const std::string& path, const json& v, std::string_view want) {
    errs_.push_back(
        {path, absl::StrCat("Invalid value: ", RenderValue(v), ": ", std::string(want))});
  }

  // A string field. Numbers and booleans are refused as the API server's
  // decoder refuses them ("name: 12345" must be quoted).
  bool ToString(const json& v, const std::string& path, std::string& out) {
    if (v.is_string()) {
      out = v.get<std::string>();
      return true;
    }
    if (v.is_number() || v.is_boolean()) {
      errs_.push_back({path, absl::StrCat("Invalid value: ", RenderValue(v),
                                          ": must be a string (cannot unmarshal ",
                                          v.is_boolean() ? "bool" : "number",
                                          " into a string field; quote the value)")});
      return false;
    }
    TypeError(path, v, "must be a string");
    return false;
  }

  // A quantity ("cpu: 1", "memory: 1Gi"): numbers are accepted, as
  // resource.Quantity's decoder accepts them.
  bool ToQuantity(const json& v, const std::string& path, std::string& out) {
    if (v.is_string()) {
      out = v.get<std::string>();
    } else if (v.is_number_unsigned()) {
      out = std::to_string(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      out = std::to_string(v.get<int64_t>());
    } else if (v.is_number_float()) {
      out = FormatDouble(v.get<double>());
    } else {
      TypeError(path, v, "must be a quantity (a string or a number)");
      return false;
    }
    return true;
  }

  bool ToInt(const json& v, const std::string& path, int64_t min, int64_t max, int64_t& out) {
    if (!v.is_number_integer()) {
      TypeError(path, v, "must be an integer");
      return false;
    }
    bool fits = v.is_number_unsigned() ? v.get<uint64_t>() <= static_cast<uint64_t>(max)
                                       : v.get<int64_t>() >= min && v.get<int64_t>() <= max;
    if (!fits) {
      TypeError(path, v,
                max == std::numeric_limits<int32_t>::max() ? "must be a 32-bit integer"
                                                           : "must be a 64-bit integer");
      return false;
    }
    out = v.get<int64_t>();
    return true;
  }

  void Str(const char* key, std::string& out) {
    if (const json* v = At(key)) ToString(*v, Child(path_, key), out);
  }
  void OptStr(const char* key, std::optional<std::string>& out) {
    std::string s;
    if (const json* v = At(key); v && ToString(*v, Child(path_, key), s)) out = std::move(s);
  }
  void I32(const char* key, int32_t& out) {
    int64_t n;
    if (const json* v = At(key); v && ToInt(*v, Child(path_, key), INT32_MIN, INT32_MAX, n)) {
      out = static_cast<int32_t>(n);
    }
  }
  void I64(const char* key, int64_t& out) {
    int64_t n;
    if (const json* v = At(key); v && ToInt(*v, Child(path_, key), INT64_MIN, INT64_MAX, n)) {
      out = n;
    }
  }
  void OptI64(const char* key, std::optional<int64_t>& out) {
    int64_t n = 0;
    if (const json* v = At(key); v && ToInt(*v, Child(path_, key), INT64_MIN, INT64_MAX, n)) {
      out = n;
    }
  }
  void OptI32(const char* key, std::optional<int32_t>& out) {
    int64_t n = 0;
    if (const json* v = At(key); v && ToInt(*v, Child(path_, key), INT32_MIN, INT32_MAX, n)) {
      out = static_cast<int32_t>(n);
    }
  }
  void I32List(const char* key, std::vector<int32_t>& out) { IntList(key, out); }
  void I64List(const char* key, std::vector<int64_t>& out) { IntList(key, out); }
  void Bool(const char* key, bool& out) {
    const json* v = At(key);
    if (!v) return;
    if (v->is_boolean()) {
      out = v->get<bool>();
    } else {
      TypeError(Child(path_, key), *v, "must be a boolean");
    }
  }
  void OptBool(const char* key, std::optional<bool>& out) {
    bool b = false;
    const json* v = At(key);
    if (!v) return;
    if (v->is_boolean()) {
      out = v->get<bool>();
    } else {
      Bool(key, b);  // records the error
    }
  }
  void Time(const char* key, std::optional<absl::Time>& out) {
    const json* v = At(key);
    if (!v) return;
    absl::Time t;
    std::string err;
    if (v->is_string() && absl::ParseTime(absl::RFC3339_full, v->get<std::string>(), &t, &err) &&
        t != absl::InfiniteFuture() && t != absl::InfinitePast()) {
      out = t;
    } else {
      TypeError(Child(path_, key), *v, "must be an RFC 3339 timestamp");
    }
  }
  void OptQuantity(const char* key, std::optional<std::string>& out) {
    std::string s;
    if (const json* v = At(key); v && ToQuantity(*v, Child(path_, key), s)) out = std::move(s);
  }
  void QuantityMap(const char* key, std::map<std::string, std::string>& out) {
    const json* v = At(key);
    if (!v) return;
    std::string path = Child(path_, key);
    if (!v->is_object()) {
      TypeError(path, *v, "must be an object");
      return;
    }
    for (auto it = v->begin(); it != v->end(); ++it) {
      std::string s;
      if (ToQuantity(it.value(), absl::StrCat(path, "[", it.key(), "]"), s)) out[it.key()] = s;
    }
  }
  void StrMap(const char* key, std::map<std::string, std::string>& out) {
    const json* v = At(key);
    if (!v) return;
    std::string path = Child(path_, key);
    if (!v->is_object()) {
      TypeError(path, *v, "must be an object");
      return;
    }
    for (auto it = v->begin(); it != v->end(); ++it) {
      std::string s;
      if (ToString(it.value(), absl::StrCat(path, "[", it.key(), "]"), s)) out[it.key()] = s;
    }
  }
  void StrList(const char* key, std::vector<std::string>& out) {
    EachItem(key, [&](const json& item, const std::string& path) {
      std::string s;
      if (ToString(item, path, s)) out.push_back(std::move(s));
    });
  }
  void Port(const char* key, IntOrString& out) {
    const json* v = At(key);
    if (!v) return;
    std::string path = Child(path_, key);
    if (v->is_string()) {
      out.is_string = true;
      out.string_value = v->get<std::string>();
      return;
    }
    int64_t n;
    if (v->is_number_integer()) {
      if (ToInt(*v, path, INT32_MIN, INT32_MAX, n)) out = {false, static_cast<int32_t>(n), ""};
    } else {
      TypeError(path, *v, "must be an integer or a string");
    }
  }

  // A nested object decoded by `decode(Obj&, T&)` into `out` (always present).
  template <typename T, typename F>
  void Object(const char* key, T& out, F decode) {
    const json* v = At(key);
    if (!v) return;
    std::string path = Child(path_, key);
    if (!v->is_object()) {
      TypeError(path, *v, "must be an object");
      return;
    }
    Obj sub(errs_, *v, std::move(path), unread_);
    decode(sub, out);
  }
  template <typename T, typename F>
  void OptObject(const char* key, std::optional<T>& out, F decode) {
    if (!At(key)) return;
    T value{};
    size_t before = errs_.size();
    Object(key, value, decode);
    if (errs_.size() == before || At(key)->is_object()) out = std::move(value);
  }
  template <typename T, typename F>
  void List(const char* key, std::vector<T>& out, F decode) {
    EachItem(key, [&](const json& item, const std::string& item_path) {
      if (!item.is_object()) {
        TypeError(item_path, item, "must be an object");
        return;
      }
      T value{};
      Obj sub(errs_, item, item_path, unread_);
      decode(sub, value);
      out.push_back(std::move(value));
    });
  }

  // A list of integers of type T; out-of-range items are errors.
  template <typename T>
  void IntList(const char* key, std::vector<T>& out) {
    EachItem(key, [&](const json& item, const std::string& path) {
      int64_t n = 0;
      if (ToInt(item, path, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), n)) {
        out.push_back(static_cast<T>(n));
      }
    });
  }

  // Calls fn(item, "<path>.key[i]") for each item of the list at `key`;
  // anything but a list is an error.
  template <typename F>
  void EachItem(const char* key, F fn) {
    const json* v = At(key);
    if (!v) return;
    std::string path = Child(path_, key);
    if (!v->is_array()) {
      TypeError(path, *v, "must be a list");
      return;
    }
    for (size_t i = 0; i < v->size(); ++i) fn((*v)[i], absl::StrCat(path, "[", i, "]"));
  }

 private:
  std::vector<FieldError>& errs_;
  const json& j_;
  std::string path_;
  std::vector<std::string>* unread_;
  std::set<std::string, std::less<>> asked_;
};

void Decode(Obj& o, ExecAction& a) { o.StrList("command", a.command); }

void Decode(Obj& o, HTTPGetAction& a) {
  o.Str("path", a.path);
  o.Port("port", a.port);
  o.Str("host", a.host);
  o.Str("scheme", a.scheme);
  o.List("httpHeaders", a.http_headers, [](Obj& h, HTTPHeader& out) {
    h.Str("name", out.name);
    h.Str("value", out.value);
  });
}

void Decode(Obj& o, TCPSocketAction& a) {
  o.Port("port", a.port);
  o.Str("host", a.host);
}

void Decode(Obj& o, GRPCAction& a) {
  o.I32("port", a.port);
  o.OptStr("service", a.service);
}

void Decode(Obj& o, SleepAction& a) { o.I64("seconds", a.seconds); }

template <typename T>
void DecodeInto(Obj& o, T& out) {
  Decode(o, out);
}

void Decode(Obj& o, Probe& p) {
  // The handler is inlined: its members sit beside the probe's own.
  o.OptObject("exec", p.handler.exec, DecodeInto<ExecAction>);
  o.OptObject("httpGet", p.handler.http_get, DecodeInto<HTTPGetAction>);
  o.OptObject("tcpSocket", p.handler.tcp_socket, DecodeInto<TCPSocketAction>);
  o.OptObject("grpc", p.handler.grpc, DecodeInto<GRPCAction>);
  o.I32("initialDelaySeconds", p.initial_delay_seconds);
  o.I32("timeoutSeconds", p.timeout_seconds);
  o.I32("periodSeconds", p.period_seconds);
  o.I32("successThreshold", p.success_threshold);
  o.I32("failureThreshold", p.failure_threshold);
  o.OptI64("terminationGracePeriodSeconds", p.termination_grace_period_seconds);
}

void Decode(Obj& o, LifecycleHandler& h) {
  o.OptObject("exec", h.exec, DecodeInto<ExecAction>);
  o.OptObject("httpGet", h.http_get, DecodeInto<HTTPGetAction>);
  o.OptObject("tcpSocket", h.tcp_socket, DecodeInto<TCPSocketAction>);
  o.OptObject("sleep", h.sleep, DecodeInto<SleepAction>);
}

void Decode(Obj& o, Lifecycle& l) {
  o.OptObject("postStart", l.post_start, DecodeInto<LifecycleHandler>);
  o.OptObject("preStop", l.pre_stop, DecodeInto<LifecycleHandler>);
}

void Decode(Obj& o, SeccompProfile& p) {
  o.Str("type", p.type);
  o.OptStr("localhostProfile", p.localhost_profile);
}

void Decode(Obj& o, ObjectFieldSelector& sel) {
  o.Str("apiVersion", sel.api_version);
  o.Str("fieldPath", sel.field_path);
}

void Decode(Obj& o, ResourceFieldSelector& sel) {
  o.Str("containerName", sel.container_name);
  o.Str("resource", sel.resource);
  o.OptQuantity("divisor", sel.divisor);
}

void Decode(Obj& o, KeySelector& sel) {
  o.Str("name", sel.name);
  o.Str("key", sel.key);
  o.OptBool("optional", sel.optional);
}

void Decode(Obj& o, FileKeySelector& sel) {
  o.Str("volumeName", sel.volume_name);
  o.Str("path", sel.path);
  o.Str("key", sel.key);
  o.OptBool("optional", sel.optional);
}

void Decode(Obj& o, OptionalObjectRef& ref) {
  o.Str("name", ref.name);
  o.OptBool("optional", ref.optional);
}

void Decode(Obj& o, KeyToPath& k) {
  o.Str("key", k.key);
  o.Str("path", k.path);
  o.OptI32("mode", k.mode);
}

void Decode(Obj& o, SELinuxOptions& s) {
  o.Str("user", s.user);
  o.Str("role", s.role);
  o.Str("type", s.type);
  o.Str("level", s.level);
}

void Decode(Obj& o, SecurityContext& s) {
  o.OptI64("runAsUser", s.run_as_user);
  o.OptI64("runAsGroup", s.run_as_group);
  o.OptBool("runAsNonRoot", s.run_as_non_root);
  o.OptBool("readOnlyRootFilesystem", s.read_only_root_filesystem);
  o.OptBool("privileged", s.privileged);
  o.OptBool("allowPrivilegeEscalation", s.allow_privilege_escalation);
  o.OptObject("capabilities", s.capabilities, [](Obj& c, Capabilities& out) {
    c.StrList("add", out.add);
    c.StrList("drop", out.drop);
  });
  o.OptObject("seccompProfile", s.seccomp_profile, DecodeInto<SeccompProfile>);
  o.OptObject("appArmorProfile", s.app_armor_profile, DecodeInto<AppArmorProfile>);
  o.OptObject("seLinuxOptions", s.se_linux_options, DecodeInto<SELinuxOptions>);
}

void Decode(Obj& o, Container& c) {
  o.Str("name", c.name);
  o.Str("image", c.image);
  o.StrList("command", c.command);
  o.StrList("args", c.args);
  o.Str("workingDir", c.working_dir);
  o.List("ports", c.ports, [](Obj& p, ContainerPort& out) {
    p.Str("name", out.name);
    p.I32("hostPort", out.host_port);
    p.I32("containerPort", out.container_port);
    p.Str("protocol", out.protocol);
    p.Str("hostIP", out.host_ip);
  });
  o.List("envFrom", c.env_from, [](Obj& e, EnvFromSource& out) {
    e.Str("prefix", out.prefix);
    e.OptObject("configMapRef", out.config_map_ref, DecodeInto<OptionalObjectRef>);
    e.OptObject("secretRef", out.secret_ref, DecodeInto<OptionalObjectRef>);
  });
  o.List("env", c.env, [](Obj& e, EnvVar& out) {
    e.Str("name", out.name);
    e.Str("value", out.value);
    e.OptObject("valueFrom", out.value_from, [](Obj& vf, EnvVarSource& src) {
      vf.OptObject("fieldRef", src.field_ref, DecodeInto<ObjectFieldSelector>);
      vf.OptObject("resourceFieldRef", src.resource_field_ref, DecodeInto<ResourceFieldSelector>);
      vf.OptObject("configMapKeyRef", src.config_map_key_ref, DecodeInto<KeySelector>);
      vf.OptObject("secretKeyRef", src.secret_key_ref, DecodeInto<KeySelector>);
      vf.OptObject("fileKeyRef", src.file_key_ref, DecodeInto<FileKeySelector>);
    });
  });
  o.Object("resources", c.resources, [](Obj& r, ResourceRequirements& out) {
    r.QuantityMap("limits", out.limits);
    r.QuantityMap("requests", out.requests);
  });
  o.List("volumeMounts", c.volume_mounts, [](Obj& m, VolumeMount& out) {
    m.Str("name", out.name);
    m.Str("mountPath", out.mount_path);
    m.Bool("readOnly", out.read_only);
    m.Str("subPath", out.sub_path);
    m.OptStr("mountPropagation", out.mount_propagation);
    m.OptStr("recursiveReadOnly", out.recursive_read_only);
  });
  o.OptObject("livenessProbe", c.liveness_probe, DecodeInto<Probe>);
  o.OptObject("readinessProbe", c.readiness_probe, DecodeInto<Probe>);
  o.OptObject("startupProbe", c.startup_probe, DecodeInto<Probe>);
  o.OptObject("lifecycle", c.lifecycle, DecodeInto<Lifecycle>);
  o.Str("terminationMessagePath", c.termination_message_path);
  o.Str("terminationMessagePolicy", c.termination_message_policy);
  o.Str("imagePullPolicy", c.image_pull_policy);
  o.OptObject("securityContext", c.security_context, DecodeInto<SecurityContext>);
  o.OptStr("restartPolicy", c.restart_policy);
  o.List("restartPolicyRules", c.restart_policy_rules, [](Obj& r, ContainerRestartRule& out) {
    r.Str("action", out.action);
    r.OptObject("exitCodes", out.exit_codes, [](Obj& e, ContainerRestartRuleOnExitCodes& codes) {
      e.Str("operator", codes.operator_);
      e.I32List("values", codes.values);
    });
  });
  o.Bool("stdin", c.stdin);
  o.Bool("tty", c.tty);
}

void Decode(Obj& f, DownwardAPIVolumeFile& out) {
  f.Str("path", out.path);
  f.OptObject("fieldRef", out.field_ref, DecodeInto<ObjectFieldSelector>);
  f.OptObject("resourceFieldRef", out.resource_field_ref, DecodeInto<ResourceFieldSelector>);
  f.OptI32("mode", out.mode);
}

void Decode(Obj& o, Volume& v) {
  o.Str("name", v.name);
  o.OptObject("emptyDir", v.empty_dir, [](Obj& e, EmptyDirVolumeSource& out) {
    e.Str("medium", out.medium);
    e.OptQuantity("sizeLimit", out.size_limit);
  });
  o.OptObject("downwardAPI", v.downward_api, [](Obj& d, DownwardAPIVolumeSource& out) {
    d.List("items", out.items, DecodeInto<DownwardAPIVolumeFile>);
    d.OptI32("defaultMode", out.default_mode);
  });
  o.OptObject("hostPath", v.host_path, [](Obj& h, HostPathVolumeSource& out) {
    h.Str("path", out.path);
    h.Str("type", out.type);
  });
  o.OptObject("configMap", v.config_map, [](Obj& c, ConfigMapVolumeSource& out) {
    c.Str("name", out.name);
    c.List("items", out.items, DecodeInto<KeyToPath>);
    c.OptI32("defaultMode", out.default_mode);
    c.OptBool("optional", out.optional);
  });
  o.OptObject("secret", v.secret, [](Obj& c, SecretVolumeSource& out) {
    c.Str("secretName", out.secret_name);
    c.List("items", out.items, DecodeInto<KeyToPath>);
    c.OptI32("defaultMode", out.default_mode);
    c.OptBool("optional", out.optional);
  });
  o.OptObject("projected", v.projected, [](Obj& p, ProjectedVolumeSource& out) {
    p.List("sources", out.sources, [](Obj& src, VolumeProjection& out) {
      src.OptObject("secret", out.secret, [](Obj& c, SecretVolumeSource& out) {
        c.Str("name", out.secret_name);
        c.List("items", out.items, DecodeInto<KeyToPath>);
        c.OptBool("optional", out.optional);
      });
      src.OptObject("configMap", out.config_map, [](Obj& c, ConfigMapVolumeSource& out) {
        c.Str("name", out.name);
        c.List("items", out.items, DecodeInto<KeyToPath>);
        c.OptBool("optional", out.optional);
      });
      src.OptObject("downwardAPI", out.downward_api, [](Obj& d, DownwardAPIVolumeSource& out) {
        d.List("items", out.items, DecodeInto<DownwardAPIVolumeFile>);
      });
      src.OptObject("serviceAccountToken", out.service_account_token,
                    [](Obj& t, ServiceAccountTokenProjection& out) {
                      t.Str("audience", out.audience);
                      t.OptI64("expirationSeconds", out.expiration_seconds);
                      t.Str("path", out.path);
                    });
      for (const char* refused : {"clusterTrustBundle", "podCertificate"}) {
        if (src.At(refused) != nullptr) out.refused_sources.push_back(refused);
      }
    });
    p.OptI32("defaultMode", out.default_mode);
  });
}

void Decode(Obj& o, ObjectMeta& m) {
  o.Str("name", m.name);
  o.Str("namespace", m.namespace_);
  o.Str("uid", m.uid);
  o.StrMap("labels", m.labels);
  o.StrMap("annotations", m.annotations);
  o.Time("creationTimestamp", m.creation_timestamp);
  o.Time("deletionTimestamp", m.deletion_timestamp);
  o.OptI64("deletionGracePeriodSeconds", m.deletion_grace_period_seconds);
}

void Decode(Obj& o, PodSpec& s) {
  o.List("volumes", s.volumes, DecodeInto<Volume>);
  o.List("initContainers", s.init_containers, DecodeInto<Container>);
  o.List("containers", s.containers, DecodeInto<Container>);
  o.List("ephemeralContainers", s.ephemeral_containers, [](Obj& c, Container& out) {
    Decode(c, out);
    c.Str("targetContainerName", out.target_container_name);
  });
  o.Str("restartPolicy", s.restart_policy);
  o.OptI64("terminationGracePeriodSeconds", s.termination_grace_period_seconds);
  o.OptI64("activeDeadlineSeconds", s.active_deadline_seconds);
  o.Str("dnsPolicy", s.dns_policy);
  o.Str("nodeName", s.node_name);
  o.Bool("hostNetwork", s.host_network);
  o.Str("hostname", s.hostname);
  o.Str("subdomain", s.subdomain);
  o.OptBool("setHostnameAsFQDN", s.set_hostname_as_fqdn);
  o.OptStr("hostnameOverride", s.hostname_override);
  o.Str("schedulerName", s.scheduler_name);
  o.OptI64("priority", s.priority);
  o.OptObject("securityContext", s.security_context, [](Obj& p, PodSecurityContext& out) {
    p.OptI64("runAsUser", out.run_as_user);
    p.OptI64("runAsGroup", out.run_as_group);
    p.OptBool("runAsNonRoot", out.run_as_non_root);
    p.I64List("supplementalGroups", out.supplemental_groups);
    p.OptI64("fsGroup", out.fs_group);
    p.OptStr("fsGroupChangePolicy", out.fs_group_change_policy);
    p.OptObject("seccompProfile", out.seccomp_profile, DecodeInto<SeccompProfile>);
    p.OptObject("appArmorProfile", out.app_armor_profile, DecodeInto<AppArmorProfile>);
    p.OptObject("seLinuxOptions", out.se_linux_options, DecodeInto<SELinuxOptions>);
    p.List("sysctls", out.sysctls, [](Obj& sc, Sysctl& out) {
      sc.Str("name", out.name);
      sc.Str("value", out.value);
    });
  });
  o.Bool("hostPID", s.host_pid);
  o.Bool("hostIPC", s.host_ipc);
  o.OptBool("shareProcessNamespace", s.share_process_namespace);
  o.OptBool("hostUsers", s.host_users);
  o.OptStr("runtimeClassName", s.runtime_class_name);
  std::vector<OptionalObjectRef> pull_secrets;
  o.List("imagePullSecrets", pull_secrets, DecodeInto<OptionalObjectRef>);
  for (OptionalObjectRef& ref : pull_secrets) s.image_pull_secrets.push_back(std::move(ref.name));
  o.OptObject("dnsConfig", s.dns_config, [](Obj& d, PodDNSConfig& out) {
    d.StrList("nameservers", out.nameservers);
    d.StrList("searches", out.searches);
    d.List("options", out.options, [](Obj& opt, PodDNSConfigOption& out) {
      opt.Str("name", out.name);
      opt.OptStr("value", out.value);
    });
  });
  o.List("hostAliases", s.host_aliases, [](Obj& h, HostAlias& out) {
    h.Str("ip", out.ip);
    h.StrList("hostnames", out.hostnames);
  });
  o.StrMap("nodeSelector", s.node_selector);
  o.OptObject("affinity", s.affinity, [](Obj& a, Affinity& out) {
    a.OptObject("nodeAffinity", out.node_affinity, [](Obj& na, NodeAffinity& out) {
      na.OptObject("requiredDuringSchedulingIgnoredDuringExecution", out.required_terms,
                   [](Obj& sel, std::vector<NodeSelectorTerm>& terms) {
                     sel.List("nodeSelectorTerms", terms, [](Obj& t, NodeSelectorTerm& out) {
                       auto req = [](Obj& r, NodeSelectorRequirement& out) {
                         r.Str("key", out.key);
                         r.Str("operator", out.operator_);
                         r.StrList("values", out.values);
                       };
                       t.List("matchExpressions", out.match_expressions, req);
                       t.List("matchFields", out.match_fields, req);
                     });
                   });
    });
  });
  o.List("tolerations", s.tolerations, [](Obj& t, Toleration& out) {
    t.Str("key", out.key);
    t.Str("operator", out.operator_);
    t.Str("value", out.value);
    t.Str("effect", out.effect);
    t.OptI64("tolerationSeconds", out.toleration_seconds);
  });
  o.OptObject("os", s.os, [](Obj& os, PodOS& out) { os.Str("name", out.name); });
  o.OptObject("resources", s.resources, [](Obj& r, ResourceRequirements& out) {
    r.QuantityMap("limits", out.limits);
    r.QuantityMap("requests", out.requests);
  });
  o.Str("serviceAccountName", s.service_account_name);
  if (s.service_account_name.empty()) o.Str("serviceAccount", s.service_account_name);
  o.OptBool("automountServiceAccountToken", s.automount_service_account_token);
  o.OptBool("enableServiceLinks", s.enable_service_links);
  {
    std::vector<std::string>& gates = s.readiness_gates;
    o.List("readinessGates", gates, [](Obj& g, std::string& out) { g.Str("conditionType", out); });
  }
  o.Str("priorityClassName", s.priority_class_name);
}

void Decode(Obj& o, ContainerState& s) {
  o.OptObject("waiting", s.waiting, [](Obj& w, ContainerStateWaiting& out) {
    w.Str("reason", out.reason);
    w.Str("message", out.message);
  });
  o.OptObject("running", s.running,
              [](Obj& r, ContainerStateRunning& out) { r.Time("startedAt", out.started_at); });
  o.OptObject("terminated", s.terminated, [](Obj& t, ContainerStateTerminated& out) {
    t.I32("exitCode", out.exit_code);
    t.I32("signal", out.signal);
    t.Str("reason", out.reason);
    t.Str("message", out.message);
    t.Time("startedAt", out.started_at);
    t.Time("finishedAt", out.finished_at);
    t.Str("containerID", out.container_id);
  });
}

void Decode(Obj& o, ContainerStatus& s) {
  o.Str("name", s.name);
  o.Object("state", s.state, DecodeInto<ContainerState>);
  o.Object("lastState", s.last_state, DecodeInto<ContainerState>);
  o.Bool("ready", s.ready);
  o.I32("restartCount", s.restart_count);
  o.Str("image", s.image);
  o.Str("imageID", s.image_id);
  o.Str("containerID", s.container_id);
  o.OptBool("started", s.started);
  o.List("volumeMounts", s.volume_mounts, [](Obj& m, VolumeMountStatus& out) {
    m.Str("name", out.name);
    m.Str("mountPath", out.mount_path);
    m.Bool("readOnly", out.read_only);
    m.OptStr("recursiveReadOnly", out.recursive_read_only);
  });
}

void Decode(Obj& o, PodStatus& s) {
  o.Str("phase", s.phase);
  o.List("conditions", s.conditions, [](Obj& c, PodCondition& out) {
    c.Str("type", out.type);
    c.Str("status", out.status);
    c.Time("lastProbeTime", out.last_probe_time);
    c.Time("lastTransitionTime", out.last_transition_time);
    c.Str("reason", out.reason);
    c.Str("message", out.message);
  });
  o.Str("message", s.message);
  o.Str("reason", s.reason);
  o.Str("hostIP", s.host_ip);
  o.Str("podIP", s.pod_ip);
  o.List("podIPs", s.pod_ips, [](Obj& p, PodIP& out) { p.Str("ip", out.ip); });
  o.Time("startTime", s.start_time);
  o.List("initContainerStatuses", s.init_container_statuses, DecodeInto<ContainerStatus>);
  o.List("containerStatuses", s.container_statuses, DecodeInto<ContainerStatus>);
  o.List("ephemeralContainerStatuses", s.ephemeral_container_statuses, DecodeInto<ContainerStatus>);
  o.Str("qosClass", s.qos_class);
}

// ---------------------------------------------------------------------------
// Encoding. Each Put* leaves out what Go's `omitempty` would.

void PutStr(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void PutInt(json& j, const char* key, int64_t v) {
  if (v != 0) j[key] = v;
}
void PutBool(json& j, const char* key, bool v) {
  if (v) j[key] = true;
}
template <typename T>
void PutOpt(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void PutTime(json& j, const char* key, const std::optional<absl::Time>& v) {
  if (v) j[key] = FormatApiTime(*v);
}
void PutStrList(json& j, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) j[key] = v;
}
void PutStrMap(json& j, const char* key, const std::map<std::string, std::string>& v) {
  if (!v.empty()) j[key] = v;
}
json PortJson(const IntOrString& p) {
  return p.is_string ? json(p.string_value) : json(p.int_value);
}

// Declared up front: the Put* templates below call them for nested types.
json Encode(const ExecAction&);
json Encode(const HTTPHeader&);
json Encode(const HTTPGetAction&);
json Encode(const TCPSocketAction&);
json Encode(const GRPCAction&);
json Encode(const SleepAction&);
json Encode(const Probe&);
json Encode(const LifecycleHandler&);
json Encode(const Lifecycle&);
json Encode(const Capabilities&);
json Encode(const SecurityContext&);
json Encode(const ContainerPort&);
json Encode(const ObjectFieldSelector&);
json Encode(const EnvVarSource&);
json Encode(const EnvVar&);
json Encode(const VolumeMount&);
json Encode(const VolumeMountStatus&);
json Encode(const Container&);
json Encode(const EmptyDirVolumeSource&);
json Encode(const HostPathVolumeSource&);
json Encode(const Volume&);
json Encode(const PodCondition&);
json Encode(const ContainerStateWaiting&);
json Encode(const ContainerStateRunning&);
json Encode(const ContainerStateTerminated&);
json Encode(const ContainerState&);
json Encode(const ContainerStatus&);
json Encode(const PodIP&);
json Encode(const ObjectMeta&);
json Encode(const PodSpec&);
json Encode(const PodStatus&);
json Encode(const SeccompProfile&);
json Encode(const SELinuxOptions&);
json Encode(const ResourceFieldSelector&);
json Encode(const KeySelector&);
json Encode(const FileKeySelector&);
json Encode(const OptionalObjectRef&);
json Encode(const EnvFromSource&);
json Encode(const DownwardAPIVolumeFile&);
json Encode(const DownwardAPIVolumeSource&);
json Encode(const KeyToPath&);
json Encode(const ServiceAccountTokenProjection&);
json Encode(const VolumeProjection&);
json Encode(const ProjectedVolumeSource&);
json Encode(const ConfigMapVolumeSource&);
json Encode(const SecretVolumeSource&);
json Encode(const ResourceRequirements&);
json Encode(const Sysctl&);
json Encode(const PodSecurityContext&);
json Encode(const PodDNSConfigOption&);
json Encode(const PodDNSConfig&);
json Encode(const HostAlias&);
json Encode(const Toleration&);
json Encode(const NodeSelectorRequirement&);
json Encode(const NodeSelectorTerm&);
json Encode(const Affinity&);
json Encode(const PodOS&);
json Encode(const ContainerRestartRule&);

template <typename T>
void PutList(json& j, const char* key, const std::vector<T>& v) {
  if (v.empty()) return;
  json arr = json::array();
  for (const T& item : v) arr.push_back(Encode(item));
  j[key] = std::move(arr);
}
template <typename T>
void PutObj(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = Encode(*v);
}

json Encode(const ContainerRestartRule& r) {
  json j = json::object();
  PutStr(j, "action", r.action);
  if (r.exit_codes.has_value()) {
    json codes = json::object();
    PutStr(codes, "operator", r.exit_codes->operator_);
    if (!r.exit_codes->values.empty()) codes["values"] = r.exit_codes->values;
    j["exitCodes"] = std::move(codes);
  }
  return j;
}

json Encode(const ExecAction& a) {
  json j = json::object();
  PutStrList(j, "command", a.command);
  return j;
}

json Encode(const HTTPHeader& h) { return {{"name", h.name}, {"value", h.value}}; }

json Encode(const HTTPGetAction& a) {
  json j = json::object();
  PutStr(j, "path", a.path);
  j["port"] = PortJson(a.port);
  PutStr(j, "host", a.host);
  PutStr(j, "scheme", a.scheme);
  PutList(j, "httpHeaders", a.http_headers);
  return j;
}

json Encode(const TCPSocketAction& a) {
  json j = {{"port", PortJson(a.port)}};
  PutStr(j, "host", a.host);
  return j;
}

json Encode(const GRPCAction& a) {
  json j = {{"port", a.port}};
  PutOpt(j, "service", a.service);
  return j;
}

json Encode(const SleepAction& a) { return {{"seconds", a.seconds}}; }

json Encode(const Probe& p) {
  json j = json::object();
  PutObj(j, "exec", p.handler.exec);
  PutObj(j, "httpGet", p.handler.http_get);
  PutObj(j, "tcpSocket", p.handler.tcp_socket);
  PutObj(j, "grpc", p.handler.grpc);
  PutInt(j, "initialDelaySeconds", p.initial_delay_seconds);
  PutInt(j, "timeoutSeconds", p.timeout_seconds);
  PutInt(j, "periodSeconds", p.period_seconds);
  PutInt(j, "successThreshold", p.success_threshold);
  PutInt(j, "failureThreshold", p.failure_threshold);
  PutOpt(j, "terminationGracePeriodSeconds", p.termination_grace_period_seconds);
  return j;
}

json Encode(const LifecycleHandler& h) {
  json j = json::object();
  PutObj(j, "exec", h.exec);
  PutObj(j, "httpGet", h.http_get);
  PutObj(j, "tcpSocket", h.tcp_socket);
  PutObj(j, "sleep", h.sleep);
  return j;
}

json Encode(const Lifecycle& l) {
  json j = json::object();
  PutObj(j, "postStart", l.post_start);
  PutObj(j, "preStop", l.pre_stop);
  return j;
}

json Encode(const Capabilities& c) {
  json j = json::object();
  PutStrList(j, "add", c.add);
  PutStrList(j, "drop", c.drop);
  return j;
}

json Encode(const SeccompProfile& p) {
  json j = {{"type", p.type}};
  PutOpt(j, "localhostProfile", p.localhost_profile);
  return j;
}

json Encode(const SELinuxOptions& s) {
  json j = json::object();
  PutStr(j, "user", s.user);
  PutStr(j, "role", s.role);
  PutStr(j, "type", s.type);
  PutStr(j, "level", s.level);
  return j;
}

json Encode(const SecurityContext& s) {
  json j = json::object();
  PutOpt(j, "runAsUser", s.run_as_user);
  PutOpt(j, "runAsGroup", s.run_as_group);
  PutOpt(j, "runAsNonRoot", s.run_as_non_root);
  PutOpt(j, "readOnlyRootFilesystem", s.read_only_root_filesystem);
  PutOpt(j, "privileged", s.privileged);
  PutOpt(j, "allowPrivilegeEscalation", s.allow_privilege_escalation);
  PutObj(j, "capabilities", s.capabilities);
  PutObj(j, "seccompProfile", s.seccomp_profile);
  PutObj(j, "appArmorProfile", s.app_armor_profile);
  PutObj(j, "seLinuxOptions", s.se_linux_options);
  return j;
}

json Encode(const ContainerPort& p) {
  json j = json::object();
  PutStr(j, "name", p.name);
  PutInt(j, "hostPort", p.host_port);
  j["containerPort"] = p.container_port;
  PutStr(j, "protocol", p.protocol);
  PutStr(j, "hostIP", p.host_ip);
  return j;
}

json Encode(const ObjectFieldSelector& s) {
  json j = json::object();
  PutStr(j, "apiVersion", s.api_version);
  j["fieldPath"] = s.field_path;
  return j;
}

json Encode(const ResourceFieldSelector& s) {
  json j = {{"resource", s.resource}};
  PutStr(j, "containerName", s.container_name);
  PutOpt(j, "divisor", s.divisor);
  return j;
}

json Encode(const KeySelector& s) {
  json j = {{"key", s.key}};
  PutStr(j, "name", s.name);
  PutOpt(j, "optional", s.optional);
  return j;
}

json Encode(const FileKeySelector& s) {
  json j = {{"volumeName", s.volume_name}, {"path", s.path}, {"key", s.key}};
  PutOpt(j, "optional", s.optional);
  return j;
}

json Encode(const OptionalObjectRef& r) {
  json j = json::object();
  PutStr(j, "name", r.name);
  PutOpt(j, "optional", r.optional);
  return j;
}

json Encode(const EnvFromSource& e) {
  json j = json::object();
  PutStr(j, "prefix", e.prefix);
  PutObj(j, "configMapRef", e.config_map_ref);
  PutObj(j, "secretRef", e.secret_ref);
  return j;
}

json Encode(const EnvVarSource& s) {
  json j = json::object();
  PutObj(j, "fieldRef", s.field_ref);
  PutObj(j, "resourceFieldRef", s.resource_field_ref);
  PutObj(j, "configMapKeyRef", s.config_map_key_ref);
  PutObj(j, "secretKeyRef", s.secret_key_ref);
  PutObj(j, "fileKeyRef", s.file_key_ref);
  return j;
}

json Encode(const EnvVar& e) {
  json j = {{"name", e.name}};
  PutStr(j, "value", e.value);
  PutObj(j, "valueFrom", e.value_from);
  return j;
}

json Encode(const VolumeMount& m) {
  json j = {{"name", m.name}, {"mountPath", m.mount_path}};
  PutBool(j, "readOnly", m.read_only);
  PutStr(j, "subPath", m.sub_path);
  PutOpt(j, "mountPropagation", m.mount_propagation);
  PutOpt(j, "recursiveReadOnly", m.recursive_read_only);
  return j;
}

json Encode(const VolumeMountStatus& m) {
  json j = {{"name", m.name}, {"mountPath", m.mount_path}};
  PutBool(j, "readOnly", m.read_only);
  PutOpt(j, "recursiveReadOnly", m.recursive_read_only);
  return j;
}

json Encode(const Container& c) {
  json j = {{"name", c.name}};
  PutStr(j, "image", c.image);
  PutStrList(j, "command", c.command);
  PutStrList(j, "args", c.args);
  PutStr(j, "workingDir", c.working_dir);
  PutList(j, "ports", c.ports);
  PutList(j, "envFrom", c.env_from);
  PutList(j, "env", c.env);
  json resources = json::object();
  PutStrMap(resources, "limits", c.resources.limits);
  PutStrMap(resources, "requests", c.resources.requests);
  if (!resources.empty()) j["resources"] = std::move(resources);
  PutList(j, "volumeMounts", c.volume_mounts);
  PutObj(j, "livenessProbe", c.liveness_probe);
  PutObj(j, "readinessProbe", c.readiness_probe);
  PutObj(j, "startupProbe", c.startup_probe);
  PutObj(j, "lifecycle", c.lifecycle);
  PutStr(j, "terminationMessagePath", c.termination_message_path);
  PutStr(j, "terminationMessagePolicy", c.termination_message_policy);
  PutStr(j, "imagePullPolicy", c.image_pull_policy);
  PutObj(j, "securityContext", c.security_context);
  PutOpt(j, "restartPolicy", c.restart_policy);
  PutList(j, "restartPolicyRules", c.restart_policy_rules);
  PutBool(j, "stdin", c.stdin);
  PutBool(j, "tty", c.tty);
  return j;
}

json Encode(const EmptyDirVolumeSource& e) {
  json j = json::object();
  PutStr(j, "medium", e.medium);
  PutOpt(j, "sizeLimit", e.size_limit);
  return j;
}

json Encode(const HostPathVolumeSource& h) {
  json j = {{"path", h.path}};
  PutStr(j, "type", h.type);
  return j;
}

json Encode(const DownwardAPIVolumeFile& f) {
  json j = {{"path", f.path}};
  PutObj(j, "fieldRef", f.field_ref);
  PutObj(j, "resourceFieldRef", f.resource_field_ref);
  PutOpt(j, "mode", f.mode);
  return j;
}

json Encode(const DownwardAPIVolumeSource& d) {
  json j = json::object();
  PutList(j, "items", d.items);
  PutOpt(j, "defaultMode", d.default_mode);
  return j;
}

json Encode(const KeyToPath& k) {
  json j = {{"key", k.key}, {"path", k.path}};
  PutOpt(j, "mode", k.mode);
  return j;
}

json Encode(const ConfigMapVolumeSource& c) {
  json j = json::object();
  PutStr(j, "name", c.name);
  PutList(j, "items", c.items);
  PutOpt(j, "defaultMode", c.default_mode);
  PutOpt(j, "optional", c.optional);
  return j;
}

json Encode(const SecretVolumeSource& s) {
  json j = json::object();
  PutStr(j, "secretName", s.secret_name);
  PutList(j, "items", s.items);
  PutOpt(j, "defaultMode", s.default_mode);
  PutOpt(j, "optional", s.optional);
  return j;
}

json Encode(const ServiceAccountTokenProjection& t) {
  json j = json::object();
  PutStr(j, "audience", t.audience);
  PutOpt(j, "expirationSeconds", t.expiration_seconds);
  PutStr(j, "path", t.path);
  return j;
}

json Encode(const VolumeProjection& p) {
  json j = json::object();
  if (p.secret.has_value()) {
    json s = json::object();
    PutStr(s, "name", p.secret->secret_name);
    PutList(s, "items", p.secret->items);
    PutOpt(s, "optional", p.secret->optional);
    j["secret"] = s;
  }
  if (p.config_map.has_value()) {
    json c = json::object();
    PutStr(c, "name", p.config_map->name);
    PutList(c, "items", p.config_map->items);
    PutOpt(c, "optional", p.config_map->optional);
    j["configMap"] = c;
  }
  if (p.downward_api.has_value()) {
    json d = json::object();
    PutList(d, "items", p.downward_api->items);
    j["downwardAPI"] = d;
  }
  PutObj(j, "serviceAccountToken", p.service_account_token);
  return j;
}

json Encode(const ProjectedVolumeSource& p) {
  json j = json::object();
  PutList(j, "sources", p.sources);
  PutOpt(j, "defaultMode", p.default_mode);
  return j;
}

json Encode(const Volume& v) {
  json j = {{"name", v.name}};
  PutObj(j, "emptyDir", v.empty_dir);
  PutObj(j, "hostPath", v.host_path);
  PutObj(j, "downwardAPI", v.downward_api);
  PutObj(j, "configMap", v.config_map);
  PutObj(j, "secret", v.secret);
  PutObj(j, "projected", v.projected);
  return j;
}

json Encode(const ResourceRequirements& r) {
  json j = json::object();
  PutStrMap(j, "limits", r.limits);
  PutStrMap(j, "requests", r.requests);
  return j;
}

json Encode(const Sysctl& s) { return {{"name", s.name}, {"value", s.value}}; }

json Encode(const PodSecurityContext& s) {
  json j = json::object();
  PutOpt(j, "runAsUser", s.run_as_user);
  PutOpt(j, "runAsGroup", s.run_as_group);
  PutOpt(j, "runAsNonRoot", s.run_as_non_root);
  if (!s.supplemental_groups.empty()) j["supplementalGroups"] = s.supplemental_groups;
  PutOpt(j, "fsGroup", s.fs_group);
  PutOpt(j, "fsGroupChangePolicy", s.fs_group_change_policy);
  PutObj(j, "seccompProfile", s.seccomp_profile);
  PutObj(j, "appArmorProfile", s.app_armor_profile);
  PutObj(j, "seLinuxOptions", s.se_linux_options);
  PutList(j, "sysctls", s.sysctls);
  return j;
}

json Encode(const PodDNSConfigOption& o) {
  json j = {{"name", o.name}};
  PutOpt(j, "value", o.value);
  return j;
}

json Encode(const PodDNSConfig& d) {
  json j = json::object();
  PutStrList(j, "nameservers", d.nameservers);
  PutStrList(j, "searches", d.searches);
  PutList(j, "options", d.options);
  return j;
}

json Encode(const HostAlias& h) {
  json j = {{"ip", h.ip}};
  PutStrList(j, "hostnames", h.hostnames);
  return j;
}

json Encode(const Toleration& t) {
  json j = json::object();
  PutStr(j, "key", t.key);
  PutStr(j, "operator", t.operator_);
  PutStr(j, "value", t.value);
  PutStr(j, "effect", t.effect);
  PutOpt(j, "tolerationSeconds", t.toleration_seconds);
  return j;
}

json Encode(const NodeSelectorRequirement& r) {
  json j = {{"key", r.key}, {"operator", r.operator_}};
  PutStrList(j, "values", r.values);
  return j;
}

json Encode(const NodeSelectorTerm& t) {
  json j = json::object();
  PutList(j, "matchExpressions", t.match_expressions);
  PutList(j, "matchFields", t.match_fields);
  return j;
}

json Encode(const Affinity& a) {
  json j = json::object();
  if (a.node_affinity.has_value()) {
    json node = json::object();
    if (a.node_affinity->required_terms.has_value()) {
      json terms = json::array();
      for (const NodeSelectorTerm& t : *a.node_affinity->required_terms) terms.push_back(Encode(t));
      node["requiredDuringSchedulingIgnoredDuringExecution"] = {
          {"nodeSelectorTerms", std::move(terms)}};
    }
    j["nodeAffinity"] = std::move(node);
  }
  return j;
}

json Encode(const PodOS& o) { return {{"name", o.name}}; }

json Encode(const PodCondition& c) {
  json j = {{"type", c.type}, {"status", c.status}};
  PutTime(j, "lastProbeTime", c.last_probe_time);
  PutTime(j, "lastTransitionTime", c.last_transition_time);
  PutStr(j, "reason", c.reason);
  PutStr(j, "message", c.message);
  return j;
}

json Encode(const ContainerStateWaiting& w) {
  json j = json::object();
  PutStr(j, "reason", w.reason);
  PutStr(j, "message", w.message);
  return j;
}

json Encode(const ContainerStateRunning& r) {
  json j = json::object();
  PutTime(j, "startedAt", r.started_at);
  return j;
}

json Encode(const ContainerStateTerminated& t) {
  json j = {{"exitCode", t.exit_code}};
  PutInt(j, "signal", t.signal);
  PutStr(j, "reason", t.reason);
  PutStr(j, "message", t.message);
  PutTime(j, "startedAt", t.started_at);
  PutTime(j, "finishedAt", t.finished_at);
  PutStr(j, "containerID", t.container_id);
  return j;
}

json Encode(const ContainerState& s) {
  json j = json::object();
  PutObj(j, "waiting", s.waiting);
  PutObj(j, "running", s.running);
  PutObj(j, "terminated", s.terminated);
  return j;
}

json Encode(const ContainerStatus& s) {
  json j = {{"name", s.name}};
  json state = Encode(s.state);
  if (!state.empty()) j["state"] = std::move(state);
  json last_state = Encode(s.last_state);
  if (!last_state.empty()) j["lastState"] = std::move(last_state);
  j["ready"] = s.ready;
  j["restartCount"] = s.restart_count;
  j["image"] = s.image;
  j["imageID"] = s.image_id;
  PutStr(j, "containerID", s.container_id);
  PutOpt(j, "started", s.started);
  PutList(j, "volumeMounts", s.volume_mounts);
  return j;
}

json Encode(const PodIP& p) { return {{"ip", p.ip}}; }

json Encode(const ObjectMeta& m) {
  json j = json::object();
  PutStr(j, "name", m.name);
  PutStr(j, "namespace", m.namespace_);
  PutStr(j, "uid", m.uid);
  PutStrMap(j, "labels", m.labels);
  PutStrMap(j, "annotations", m.annotations);
  PutTime(j, "creationTimestamp", m.creation_timestamp);
  PutTime(j, "deletionTimestamp", m.deletion_timestamp);
  PutOpt(j, "deletionGracePeriodSeconds", m.deletion_grace_period_seconds);
  return j;
}

json Encode(const PodSpec& s) {
  json j = json::object();
  PutList(j, "volumes", s.volumes);
  PutList(j, "initContainers", s.init_containers);
  json containers = json::array();
  for (const Container& c : s.containers) containers.push_back(Encode(c));
  j["containers"] = std::move(containers);
  if (!s.ephemeral_containers.empty()) {
    json ephemeral = json::array();
    for (const Container& c : s.ephemeral_containers) {
      json e = Encode(c);
      PutStr(e, "targetContainerName", c.target_container_name);
      ephemeral.push_back(std::move(e));
    }
    j["ephemeralContainers"] = std::move(ephemeral);
  }
  PutStr(j, "restartPolicy", s.restart_policy);
  PutOpt(j, "terminationGracePeriodSeconds", s.termination_grace_period_seconds);
  PutOpt(j, "activeDeadlineSeconds", s.active_deadline_seconds);
  PutStr(j, "dnsPolicy", s.dns_policy);
  PutStr(j, "nodeName", s.node_name);
  PutBool(j, "hostNetwork", s.host_network);
  PutStr(j, "hostname", s.hostname);
  PutStr(j, "subdomain", s.subdomain);
  PutOpt(j, "setHostnameAsFQDN", s.set_hostname_as_fqdn);
  PutOpt(j, "hostnameOverride", s.hostname_override);
  PutStr(j, "schedulerName", s.scheduler_name);
  PutOpt(j, "priority", s.priority);
  PutObj(j, "securityContext", s.security_context);
  PutBool(j, "hostPID", s.host_pid);
  PutBool(j, "hostIPC", s.host_ipc);
  PutOpt(j, "shareProcessNamespace", s.share_process_namespace);
  PutOpt(j, "hostUsers", s.host_users);
  PutOpt(j, "runtimeClassName", s.runtime_class_name);
  if (!s.image_pull_secrets.empty()) {
    json secrets = json::array();
    for (const std::string& name : s.image_pull_secrets) secrets.push_back({{"name", name}});
    j["imagePullSecrets"] = std::move(secrets);
  }
  PutObj(j, "dnsConfig", s.dns_config);
  PutList(j, "hostAliases", s.host_aliases);
  PutStrMap(j, "nodeSelector", s.node_selector);
  PutObj(j, "affinity", s.affinity);
  PutList(j, "tolerations", s.tolerations);
  PutObj(j, "os", s.os);
  PutObj(j, "resources", s.resources);
  PutStr(j, "serviceAccountName", s.service_account_name);
  PutOpt(j, "automountServiceAccountToken", s.automount_service_account_token);
  PutOpt(j, "enableServiceLinks", s.enable_service_links);
  if (!s.readiness_gates.empty()) {
    json gates = json::array();
    for (const std::string& t : s.readiness_gates) gates.push_back({{"conditionType", t}});
    j["readinessGates"] = gates;
  }
  PutStr(j, "priorityClassName", s.priority_class_name);
  return j;
}

json Encode(const PodStatus& s) {
  json j = json::object();
  PutStr(j, "phase", s.phase);
  PutList(j, "conditions", s.conditions);
  PutStr(j, "message", s.message);
  PutStr(j, "reason", s.reason);
  PutStr(j, "hostIP", s.host_ip);
  // Single-stack nodes: hostIPs holds hostIP alone (as the kubelet sends it).
  if (!s.host_ip.empty()) j["hostIPs"] = json::array({{{"ip", s.host_ip}}});
  PutStr(j, "podIP", s.pod_ip);
  PutList(j, "podIPs", s.pod_ips);
  PutTime(j, "startTime", s.start_time);
  PutList(j, "initContainerStatuses", s.init_container_statuses);
  PutList(j, "containerStatuses", s.container_statuses);
  PutList(j, "ephemeralContainerStatuses", s.ephemeral_container_statuses);
  PutStr(j, "qosClass", s.qos_class);
  return j;
}

}  // namespace

std::string TruncateUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t end = max;
  // Back off to a character boundary (continuation bytes are 10xxxxxx).
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end)) + "...";
}

size_t InvalidUtf8At(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::string RenderJsonPrefix(const nlohmann::json& v, size_t max) {
  if (v.is_string()) return GoQuote(TruncateUtf8(v.get_ref<const std::string&>(), max));
  std::string out;
  AppendJsonPrefix(v, max, out);
  if (out.size() > max) out = TruncateUtf8(out, max);
  return out;
}

std::string FormatApiTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

std::vector<FieldError> DecodePod(const nlohmann::json& j, Pod& out,
                                  std::vector<std::string>* unread) {
  std::vector<FieldError> errs;
  if (!j.is_object()) {
    errs.push_back({"", absl::StrCat("Invalid value: ", RenderValue(j), ": must be an object")});
    return errs;
  }
  Obj o(errs, j, "", unread);
  o.Str("apiVersion", out.api_version);
  o.Str("kind", out.kind);
  o.Object("metadata", out.metadata, DecodeInto<ObjectMeta>);
  o.Object("spec", out.spec, DecodeInto<PodSpec>);
  o.Object("status", out.status, DecodeInto<PodStatus>);
  return errs;
}

absl::StatusOr<Pod> PodFromJson(const nlohmann::json& j) {
  Pod pod;
  std::vector<FieldError> errs = DecodePod(j, pod);
  if (errs.empty() && j.contains("apiVersion") && pod.api_version != "v1") {
    errs.push_back(NotSupportedError("apiVersion", pod.api_version, {"v1"}));
  }
  if (errs.empty() && j.contains("kind") && pod.kind != "Pod") {
    errs.push_back(NotSupportedError("kind", pod.kind, {"Pod"}));
  }
  if (!errs.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(
        errs, "; ", [](std::string* out, const FieldError& e) { out->append(e.ToString()); }));
  }
  return pod;
}

nlohmann::json PodToJson(const Pod& pod) {
  json j = json::object();
  j["apiVersion"] = pod.api_version;
  j["kind"] = pod.kind;
  j["metadata"] = Encode(pod.metadata);
  j["spec"] = Encode(pod.spec);
  json status = Encode(pod.status);
  if (!status.empty()) j["status"] = std::move(status);
  return j;
}

std::string PodJson(const Pod& pod) {
  return PodToJson(pod).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string PodListJson(const std::vector<Pod>& pods) {
  // Built by hand so the envelope keys keep the order Kubernetes emits them in.
  std::string out = R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[)";
  for (size_t i = 0; i < pods.size(); ++i) {
    if (i > 0) out += ",";
    out += PodJson(pods[i]);
  }
  out += "]}";
  return out;
}

}  // namespace cubelet::api
