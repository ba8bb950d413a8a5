#include "config/static_pod.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "api/json.h"
#include "api/parse.h"
#include "api/validation.h"

namespace cubelet::config {

void Fnv128a::Write(std::string_view bytes) {
  // 2^88 + 0x13b.
  constexpr unsigned __int128 kPrime = (static_cast<unsigned __int128>(1) << 88) | 0x13b;
  for (char c : bytes) {
    state_ ^= static_cast<uint8_t>(c);
    state_ *= kPrime;
  }
}

std::array<uint8_t, 16> Fnv128a::Sum() const {
  std::array<uint8_t, 16> out;
  for (int i = 0; i < 16; ++i) out[i] = static_cast<uint8_t>(state_ >> (8 * (15 - i)));
  return out;
}

std::string FormatUid(const std::array<uint8_t, 16>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string StaticPodUid(const api::Pod& pod, const std::string& node_name,
                         const std::string& source_path, const std::string& source) {
  Fnv128a hasher;
  // nlohmann's default object type keeps keys sorted, so the dump is a
  // canonical form of the pod: equal pods hash equal in every build.
  // Invalid UTF-8 never gets this far (the decoder refuses it); replacing it
  // rather than throwing keeps this function exception-free regardless.
  hasher.Write(api::PodToJson(pod).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (source == kHttpSource) {
    hasher.Write(absl::StrCat("url:", source_path));
  } else {
    hasher.Write(absl::StrCat("host:", node_name));
    hasher.Write(absl::StrCat("file:", source_path));
  }
  return FormatUid(hasher.Sum());
}

void ApplyStaticPodDefaults(api::Pod& pod, const std::string& node_name,
                            const std::string& source_path, const std::string& source) {
  // The UID is computed first, from the pod exactly as written (plus API
  // defaults), so nothing this function adds feeds back into the hash.
  if (pod.metadata.uid.empty()) {
    pod.metadata.uid = StaticPodUid(pod, node_name, source_path, source);
  }
  pod.metadata.name = absl::StrCat(pod.metadata.name, "-", absl::AsciiStrToLower(node_name));
  if (pod.metadata.namespace_.empty()) pod.metadata.namespace_ = "default";
  pod.spec.node_name = node_name;
  pod.metadata.annotations[api::kConfigHashAnnotation] = pod.metadata.uid;
  pod.metadata.annotations[api::kConfigSourceAnnotation] = source;
  pod.status.phase = api::kPodPending;
}

void AcceptStaticPods(std::vector<api::Pod> parsed, const std::string& node_name,
                      const std::string& source_path, const std::string& source,
                      std::map<std::string, std::string>& owners, std::vector<api::PodPtr>& pods,
                      std::vector<std::string>& errors) {
  for (api::Pod& pod : parsed) {
    // Messages name the pod as written, which is what the user can grep for.
    std::string written_name = pod.metadata.name;
    ApplyStaticPodDefaults(pod, node_name, source_path, source);
    std::vector<api::FieldError> problems = api::ValidatePod(pod);
    if (!problems.empty()) {
      for (const api::FieldError& fe : problems) {
        errors.push_back(
            api::ManifestError{source_path, 0, written_name, fe.field, fe.detail}.ToString());
      }
      continue;
    }
    std::string full_name = api::PodFullName(pod);
    auto [it, inserted] = owners.emplace(full_name, source_path);
    if (!inserted) {
      api::FieldError dup = api::DuplicateError("metadata.name", full_name);
      errors.push_back(
          api::ManifestError{source_path, 0, written_name, dup.field,
                             absl::StrCat(dup.detail, " (already defined in ", it->second, ")")}
              .ToString());
      continue;
    }
    pods.push_back(std::make_shared<const api::Pod>(std::move(pod)));
  }
}

}  // namespace cubelet::config
