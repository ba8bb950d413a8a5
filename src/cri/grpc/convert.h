// Conversions between cubelet's CRI types (cri/types.h) and the runtime.v1
// protobuf messages, plus the status mapping between gRPC and absl. Used by
// the gRPC client (grpc_runtime.cc) and by the in-memory test server, so both
// sides of the wire agree by construction.
//
// ToProto(value, out) fills `*out` (not owned) and leaves fields cubelet does
// not model untouched; FromProto(message) returns a new value. Enum values a
// newer runtime may send that cubelet does not know map to the closest safe
// value (ContainerState -> kUnknown, PodSandboxState -> kNotReady).
//
// Pure functions over their arguments: safe to call from any thread.
#ifndef CUBELET_CRI_GRPC_CONVERT_H_
#define CUBELET_CRI_GRPC_CONVERT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cri/types.h"
#include "grpcpp/support/status.h"
#include "runtime/v1/api.pb.h"

namespace cubelet::cri::convert {

namespace pb = ::runtime::v1;

// ---- enums ----
pb::PodSandboxState ToProto(PodSandboxState s);
pb::ContainerState ToProto(ContainerState s);
pb::NamespaceMode ToProto(NamespaceMode m);
pb::Protocol ToProto(Protocol p);
PodSandboxState FromProto(pb::PodSandboxState s);
ContainerState FromProto(pb::ContainerState s);
NamespaceMode FromProto(pb::NamespaceMode m);
Protocol FromProto(pb::Protocol p);

// ---- runtime ----
void ToProto(const VersionInfo& v, pb::VersionResponse* out);
VersionInfo FromProto(const pb::VersionResponse& v);
void ToProto(const RuntimeStatus& s, pb::RuntimeStatus* out);
RuntimeStatus FromProto(const pb::RuntimeStatus& s);

// ---- sandboxes ----
void ToProto(const PodSandboxMetadata& m, pb::PodSandboxMetadata* out);
PodSandboxMetadata FromProto(const pb::PodSandboxMetadata& m);
void ToProto(const DNSConfig& d, pb::DNSConfig* out);
DNSConfig FromProto(const pb::DNSConfig& d);
void ToProto(const PortMapping& p, pb::PortMapping* out);
PortMapping FromProto(const pb::PortMapping& p);
// network_mode goes to linux.security_context.namespace_options.network.
void ToProto(const PodSandboxConfig& c, pb::PodSandboxConfig* out);
PodSandboxConfig FromProto(const pb::PodSandboxConfig& c);
void ToProto(const PodSandbox& s, pb::PodSandbox* out);
PodSandbox FromProto(const pb::PodSandbox& s);
// ip/additional_ips go to network; network_mode to linux.namespaces.options.
void ToProto(const PodSandboxStatus& s, pb::PodSandboxStatus* out);
PodSandboxStatus FromProto(const pb::PodSandboxStatus& s);
void ToProto(const PodSandboxFilter& f, pb::PodSandboxFilter* out);
PodSandboxFilter FromProto(const pb::PodSandboxFilter& f);

// ---- containers ----
void ToProto(const ContainerMetadata& m, pb::ContainerMetadata* out);
ContainerMetadata FromProto(const pb::ContainerMetadata& m);
void ToProto(const ImageSpec& i, pb::ImageSpec* out);
ImageSpec FromProto(const pb::ImageSpec& i);
void ToProto(const KeyValue& kv, pb::KeyValue* out);
KeyValue FromProto(const pb::KeyValue& kv);
void ToProto(const Mount& m, pb::Mount* out);
Mount FromProto(const pb::Mount& m);
void ToProto(const SecurityProfile& p, pb::SecurityProfile* out);
SecurityProfile FromProto(const pb::SecurityProfile& p);
void ToProto(const LinuxContainerResources& r, pb::LinuxContainerResources* out);
LinuxContainerResources FromProto(const pb::LinuxContainerResources& r);
// resources go to linux.resources.
void ToProto(const ContainerConfig& c, pb::ContainerConfig* out);
ContainerConfig FromProto(const pb::ContainerConfig& c);
void ToProto(const Container& c, pb::Container* out);
Container FromProto(const pb::Container& c);
void ToProto(const ContainerStatus& s, pb::ContainerStatus* out);
ContainerStatus FromProto(const pb::ContainerStatus& s);
void ToProto(const ContainerFilter& f, pb::ContainerFilter* out);
ContainerFilter FromProto(const pb::ContainerFilter& f);
void ToProto(const ExecSyncResponse& r, pb::ExecSyncResponse* out);
ExecSyncResponse FromProto(const pb::ExecSyncResponse& r);

// ---- images ----
void ToProto(const Image& i, pb::Image* out);
Image FromProto(const pb::Image& i);

// ---- status codes ----
// A client-side gRPC status as cubelet's absl::Status. `method` is the CRI RPC
// name and `timeout` the deadline the call had, both only for messages:
//   OK                -> OK
//   NOT_FOUND         -> NotFound, runtime's message unchanged (callers and
//                        logs see containerd's own "... not found" text)
//   UNAVAILABLE       -> Unavailable "container runtime is unavailable: <detail>"
//   DEADLINE_EXCEEDED -> DeadlineExceeded "<method>: no answer within <timeout>: <detail>"
//   anything else     -> the same code, "<method>: <detail>"
absl::Status FromGrpcStatus(const ::grpc::Status& s, absl::string_view method,
                            absl::Duration timeout);
// A server-side absl::Status on the wire: same code, same message.
::grpc::Status ToGrpcStatus(const absl::Status& s);

// "unix:///abs/path" for "unix:///abs/path", "unix:/abs/path" or
// "/abs/path"; InvalidArgument for anything else (no TCP: the runtime's
// socket is local).
absl::StatusOr<std::string> NormalizeEndpoint(const std::string& endpoint);

}  // namespace cubelet::cri::convert

#endif  // CUBELET_CRI_GRPC_CONVERT_H_
