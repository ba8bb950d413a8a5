// EventRecorder: how cubelet's components report Kubernetes events ("Pulling
// image", "BackOff", "Killing", ...) about a pod, a container or the node,
// as client-go's record.EventRecorder does for the kubelet. Callers name the
// object by an ObjectReference (PodReference, NodeReference) and never learn
// what becomes of the event: ApiEventRecorder (api_recorder.h) writes it to
// the API server, NullRecorder drops it (standalone mode has no API server),
// testing::FakeRecorder keeps it for a test to look at.
//
// Ownership: a recorder is borrowed by the components that report through it
// and must outlive them; references are plain values.
// Thread-safety: Event may be called from any thread, several at a time, and
// never blocks on the network. The reference helpers are pure functions.
#ifndef CUBELET_EVENTS_RECORDER_H_
#define CUBELET_EVENTS_RECORDER_H_

#include <string>
#include <string_view>

#include "api/pod.h"

namespace cubelet::events {

// v1.ObjectReference: what an event is about. Empty fields are left out of
// the event's involvedObject.
struct ObjectReference {
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string uid;
  std::string api_version;
  std::string resource_version;
  // Which part of the object: "spec.containers{web}" (ContainerFieldPath).
  std::string field_path;

  bool operator==(const ObjectReference&) const = default;
};

// The event types the API accepts (v1.EventTypeNormal, v1.EventTypeWarning);
// a recorder refuses any other, as client-go's does.
inline constexpr char kNormal[] = "Normal";
inline constexpr char kWarning[] = "Warning";

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;

  // Records that `reason` (UpperCamelCase, short, machine-readable: what
  // tools switch on) happened to `object`, with a human-readable `message`.
  // `type` is kNormal or kWarning. Never blocks on the network; safe from any
  // thread.
  virtual void Event(const ObjectReference& object, std::string_view type, std::string_view reason,
                     std::string_view message) = 0;
};

// Kind Pod, apiVersion v1, the pod's namespace, name and UID (what
// reference.GetReference gives for a pod, less the resourceVersion api::Pod
// does not keep). `field_path` narrows it to a container.
ObjectReference PodReference(const api::Pod& pod, std::string_view field_path = "");

// The kubelet's nodeRef (pkg/kubelet/kubelet.go): kind Node, no namespace,
// and the node's *name* as its UID, not the Node object's UID. kubectl
// describe node looks events up by uid = name, and the kubelet may report
// before its Node object exists.
ObjectReference NodeReference(std::string_view node_name);

// The fieldPath of a container in a pod reference, as the kubelet's
// GenerateContainerRef builds it: "spec.containers{web}",
// "spec.initContainers{init}", "spec.ephemeralContainers{debugger}".
std::string ContainerFieldPath(std::string_view container_name);
std::string InitContainerFieldPath(std::string_view container_name);
std::string EphemeralContainerFieldPath(std::string_view container_name);

// Drops every event: for standalone mode, which has no API server to tell.
class NullRecorder final : public EventRecorder {
 public:
  void Event(const ObjectReference& object, std::string_view type, std::string_view reason,
             std::string_view message) override {}
};

}  // namespace cubelet::events

#endif  // CUBELET_EVENTS_RECORDER_H_
