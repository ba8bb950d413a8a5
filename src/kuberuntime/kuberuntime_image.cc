// RuntimeManager's image handling (upstream kuberuntime_image.go and
// images.imageManager): pull policy and the per-(pod, image) pull back-off.
#include <string>

#include "absl/strings/str_cat.h"
#include "kuberuntime/runtime_manager.h"
#include "util/go_duration.h"

namespace cubelet::kuberuntime {
namespace {

// "latest" tag or no tag at all: the API defaults such images to pull Always.
bool IsLatestOrUntagged(const std::string& image) {
  if (image.find('@') != std::string::npos) return false;
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return true;
  return image.substr(colon + 1) == "latest";
}

bool ShouldPullImage(const std::string& policy, bool present) {
  if (policy == api::kPullNever) return false;
  if (policy == api::kPullAlways) return true;
  return !present;
}

}  // namespace

absl::StatusOr<std::string> RuntimeManager::EnsureImageExists(const api::Pod& pod,
                                                              const api::Container& container,
                                                              std::string& reason,
                                                              std::string& message) {
  const std::string& image = container.image;
  std::string policy = container.image_pull_policy;
  if (policy.empty())
    policy = IsLatestOrUntagged(image) ? api::kPullAlways : api::kPullIfNotPresent;

  absl::StatusOr<std::optional<cri::Image>> present = images_->GetImageStatus({.image = image});
  if (!present.ok()) {
    reason = kImageInspectError;
    message = absl::StrCat("Failed to inspect image \"", image, "\": ", present.status().message());
    return present.status();
  }
  if (!ShouldPullImage(policy, present->has_value())) {
    if (present->has_value()) {
      Record(pod, container.name, events::kNormal, "Pulled",
             absl::StrCat("Container image \"", image, "\" already present on machine"));
      return (*present)->id;
    }
    reason = container::kErrImageNeverPull;
    message =
        absl::StrCat("Container image \"", image, "\" is not present with pull policy of Never");
    Record(pod, container.name, events::kWarning, reason, message);
    return absl::FailedPreconditionError(message);
  }

  // Failed pulls back off per (pod, image), so one bad image does not turn
  // every sync into a registry round trip.
  const std::string key = ImagePullBackoffKey(pod, image);
  if (image_pull_backoff_.IsInBackOffSinceUpdate(key, clock_->Now())) {
    reason = container::kImagePullBackOff;
    message = absl::StrCat("Back-off pulling image \"", image, "\"");
    Record(pod, container.name, events::kNormal, "BackOff", message);
    return absl::UnavailableError(message);
  }
  Record(pod, container.name, events::kNormal, "Pulling",
         absl::StrCat("Pulling image \"", image, "\""));
  const absl::Time pull_start = clock_->Now();
  absl::StatusOr<std::string> ref = images_->PullImage({.image = image});
  if (!ref.ok()) {
    image_pull_backoff_.Next(key, clock_->Now());
    reason = container::kErrImagePull;
    message = absl::StrCat("Failed to pull image \"", image, "\": ", ref.status().message());
    Record(pod, container.name, events::kWarning, "Failed", message);
    return absl::Status(ref.status().code(), message);
  }
  Record(pod, container.name, events::kNormal, "Pulled",
         absl::StrCat("Successfully pulled image \"", image, "\" in ",
                      FormatGoDuration(clock_->Now() - pull_start)));
  image_pull_backoff_.GC();
  return ref;
}
}  // namespace cubelet::kuberuntime
