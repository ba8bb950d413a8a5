#include "apiobjects/object_manager.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cubelet::apiobjects {
namespace {

using json = nlohmann::json;

struct Meta {
  std::string namespace_;
  std::string name;
};

Meta ReadMeta(const json& object) {
  Meta m;
  if (auto it = object.find("metadata"); it != object.end() && it->is_object()) {
    m.namespace_ = it->value("namespace", "");
    m.name = it->value("name", "");
  }
  return m;
}

// Reads the string map `object[key]` into `out`; base64 values are decoded.
absl::Status ReadMap(const json& object, const char* key, bool base64, std::string_view what,
                     const Meta& meta, std::map<std::string, std::string>& out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  auto fail = [&](std::string_view field, std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " ", meta.namespace_, "/",
                                                   meta.name, ": ", std::string(field), ": ",
                                                   std::string(why)));
  };
  if (!it->is_object()) return fail(key, "not an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return fail(absl::StrCat(key, ".", k), "not a string");
    const std::string& text = v.get_ref<const std::string&>();
    if (!base64) {
      out[k] = text;
      continue;
    }
    std::string bytes;
    if (!absl::Base64Unescape(text, &bytes)) {
      return fail(absl::StrCat(key, ".", k), "illegal base64 data");
    }
    out[k] = std::move(bytes);
  }
  return absl::OkStatus();
}

bool ReadImmutable(const json& object) {
  auto it = object.find("immutable");
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

absl::Status ConfigMapNotFound(std::string_view name) {
  return absl::NotFoundError(absl::StrCat("configmap \"", std::string(name), "\" not found"));
}

absl::Status SecretNotFound(std::string_view name) {
  return absl::NotFoundError(absl::StrCat("secret \"", std::string(name), "\" not found"));
}

absl::StatusOr<ConfigMap> DecodeConfigMap(const json& object) {
  if (!object.is_object()) return absl::InvalidArgumentError("configmap: not an object");
  Meta meta = ReadMeta(object);
  ConfigMap cm{.namespace_ = meta.namespace_, .name = meta.name};
  cm.immutable = ReadImmutable(object);
  if (absl::Status s = ReadMap(object, "data", false, "configmap", meta, cm.data); !s.ok())
    return s;
  if (absl::Status s = ReadMap(object, "binaryData", true, "configmap", meta, cm.binary_data);
      !s.ok()) {
    return s;
  }
  return cm;
}

absl::StatusOr<Secret> DecodeSecret(const json& object) {
  if (!object.is_object()) return absl::InvalidArgumentError("secret: not an object");
  Meta meta = ReadMeta(object);
  Secret secret{.namespace_ = meta.namespace_, .name = meta.name};
  secret.type = object.value("type", "");
  secret.immutable = ReadImmutable(object);
  if (absl::Status s = ReadMap(object, "data", true, "secret", meta, secret.data); !s.ok()) {
    return s;
  }
  return secret;
}

}  // namespace cubelet::apiobjects
