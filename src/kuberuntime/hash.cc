#include "kuberuntime/hash.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace cubelet::kuberuntime {
namespace {

// Feeds a canonical byte stream into FNV-1a 64. Every variable-length value is
// length-prefixed and every optional carries a presence byte, so distinct
// specs cannot serialize to the same bytes by shifting content between fields.
class Hasher {
 public:
  void Byte(uint8_t b) {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(v >> (8 * i)));
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Bool(bool b) { Byte(b ? 1 : 0); }
  void Str(std::string_view s) {
    U64(s.size());
    for (unsigned char c : s) Byte(c);
  }
  void Strs(const std::vector<std::string>& v) {
    U64(v.size());
    for (const std::string& s : v) Str(s);
  }
  template <typename T, typename F>
  void Opt(const std::optional<T>& o, F&& f) {
    Bool(o.has_value());
    if (o.has_value()) f(*o);
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace

uint64_t HashContainer(const api::Container& c) {
  Hasher h;
  h.U64(kContainerHashVersion);
  h.Str(c.name);
  h.Str(c.image);
  h.Strs(c.command);
  h.Strs(c.args);
  h.Str(c.working_dir);
  h.U64(c.ports.size());
  for (const api::ContainerPort& p : c.ports) {
    h.Str(p.name);
    h.I64(p.host_port);
    h.I64(p.container_port);
    h.Str(p.protocol);
    h.Str(p.host_ip);
  }
  h.U64(c.env.size());
  for (const api::EnvVar& e : c.env) {
    h.Str(e.name);
    h.Str(e.value);
    h.Opt(e.value_from, [&](const api::EnvVarSource& src) {
      h.Opt(src.field_ref, [&](const api::ObjectFieldSelector& f) {
        h.Str(f.api_version);
        h.Str(f.field_path);
      });
    });
  }
  h.U64(c.volume_mounts.size());
  for (const api::VolumeMount& m : c.volume_mounts) {
    h.Str(m.name);
    h.Str(m.mount_path);
    h.Bool(m.read_only);
    h.Str(m.sub_path);
  }
  h.Opt(c.security_context, [&](const api::SecurityContext& sc) {
    h.Opt(sc.run_as_user, [&](int64_t v) { h.I64(v); });
    h.Opt(sc.run_as_group, [&](int64_t v) { h.I64(v); });
    h.Opt(sc.run_as_non_root, [&](bool v) { h.Bool(v); });
    h.Opt(sc.read_only_root_filesystem, [&](bool v) { h.Bool(v); });
    h.Opt(sc.privileged, [&](bool v) { h.Bool(v); });
    h.Opt(sc.allow_privilege_escalation, [&](bool v) { h.Bool(v); });
    h.Opt(sc.capabilities, [&](const api::Capabilities& caps) {
      h.Strs(caps.add);
      h.Strs(caps.drop);
    });
  });
  h.Bool(c.stdin);
  h.Bool(c.tty);
  h.Str(c.termination_message_path);
  h.Str(c.termination_message_policy);
  return h.value();
}

std::string HashToString(uint64_t hash) { return absl::StrCat(absl::Hex(hash)); }

std::optional<uint64_t> ParseHash(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char ch : s) {
    int d;
    if (ch >= '0' && ch <= '9') {
      d = ch - '0';
    } else if (ch >= 'a' && ch <= 'f') {
      d = ch - 'a' + 10;
    } else if (ch >= 'A' && ch <= 'F') {
      d = ch - 'A' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace cubelet::kuberuntime
