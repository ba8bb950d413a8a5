// HashContainer: the fingerprint of the parts of a container spec that can
// only take effect by recreating the container. The kubelet stores it on each
// container (annotation io.kubernetes.container.hash) and restarts a running
// container whose spec no longer hashes to the stored value, whatever the
// restart policy.
//
// Hashed fields, kContainerHashVersion = 1, in this order:
//   name, image, command, args, workingDir, ports (name, hostPort,
//   containerPort, protocol, hostIP), env (name, value, valueFrom.fieldRef
//   apiVersion/fieldPath), volumeMounts (name, mountPath, readOnly, subPath),
//   securityContext (every field), stdin, tty, terminationMessagePath,
//   terminationMessagePolicy.
// Left out on purpose: resources (resized in place, as upstream since
// InPlacePodVerticalScaling), probes (a probe change must not restart),
// lifecycle (hooks are read when they run, not baked into the container),
// imagePullPolicy (only matters for the next pull) and restartPolicy.
//
// The value is FNV-1a 64 over a hand-written, length-prefixed serialization
// that starts with the version, so it is the same across runs, builds and
// platforms. Changing the list or the encoding changes every hash and thus
// restarts every container after an agent upgrade: bump the version and
// update the pinned value in hash_test.cc only on purpose.
//
// Pure functions; safe from any thread.
#ifndef CUBELET_KUBERUNTIME_HASH_H_
#define CUBELET_KUBERUNTIME_HASH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/pod.h"

namespace cubelet::kuberuntime {

inline constexpr uint32_t kContainerHashVersion = 1;

uint64_t HashContainer(const api::Container& container);

// The hash as the annotation stores it: lowercase hex, no prefix.
std::string HashToString(uint64_t hash);
// Inverse of HashToString; nullopt on anything but 1-16 hex digits.
std::optional<uint64_t> ParseHash(std::string_view s);

}  // namespace cubelet::kuberuntime

#endif  // CUBELET_KUBERUNTIME_HASH_H_
