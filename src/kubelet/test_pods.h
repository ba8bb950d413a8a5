// Pods for the kubelet tests: one busybox container named "app", defaulted
// as the API server would, UID "uid-<name>". Test-only.
#ifndef CUBELET_KUBELET_TEST_PODS_H_
#define CUBELET_KUBELET_TEST_PODS_H_

#include <memory>
#include <string>

#include "api/pod.h"

namespace cubelet::kubelet::testing {

inline constexpr char kTestImage[] = "docker.io/library/busybox:1.36";

inline std::shared_ptr<api::Pod> MakePod(const std::string& name,
                                         const std::string& restart_policy = "Always") {
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.name = name;
  pod->metadata.namespace_ = "default";
  pod->metadata.uid = "uid-" + name;
  pod->spec.restart_policy = restart_policy;
  pod->spec.termination_grace_period_seconds = 30;
  api::Container c;
  c.name = "app";
  c.image = kTestImage;
  c.image_pull_policy = api::kPullIfNotPresent;
  c.termination_message_path = "/dev/termination-log";
  c.termination_message_policy = "File";
  pod->spec.containers.push_back(c);
  return pod;
}

}  // namespace cubelet::kubelet::testing

#endif  // CUBELET_KUBELET_TEST_PODS_H_
