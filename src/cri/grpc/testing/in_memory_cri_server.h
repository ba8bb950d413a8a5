// InMemoryCriServer: a real gRPC server for the runtime.v1 RuntimeService and
// ImageService, listening on a unix socket, that answers by delegating to a
// cri::InMemoryRuntime (converting with cri/grpc/convert.h). Tests use it to
// drive GrpcRuntime over the wire without containerd; the runtime's knobs
// (latency, injected errors, SetDown) shape what the client sees.
//
// Ownership: `runtime` is not owned and must outlive the server. The server
// owns its socket and, when it made one, its temporary directory (both
// removed on destruction).
//
// Thread-safety: Shutdown and the accessors may be called from any thread;
// RPCs are served on gRPC's own threads, concurrently.
#ifndef CUBELET_CRI_GRPC_TESTING_IN_MEMORY_CRI_SERVER_H_
#define CUBELET_CRI_GRPC_TESTING_IN_MEMORY_CRI_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/inmemory/in_memory_runtime.h"

namespace cubelet::cri {

class InMemoryCriServer {
 public:
  // Serves `runtime` on `socket_path`, or on "<fresh temp dir>/cri.sock" when
  // it is empty. A stale socket file at the path is replaced.
  static absl::StatusOr<std::unique_ptr<InMemoryCriServer>> Start(
      InMemoryRuntime* runtime, const std::string& socket_path = "");

  ~InMemoryCriServer();
  InMemoryCriServer(const InMemoryCriServer&) = delete;
  InMemoryCriServer& operator=(const InMemoryCriServer&) = delete;

  // "unix:///abs/path/cri.sock", for GrpcRuntime::Connect.
  const std::string& endpoint() const { return endpoint_; }
  const std::string& socket_path() const { return socket_path_; }

  // From now on RuntimeService/GetContainerEvents streams the containers'
  // starts, exits (with the container's status: exit code, reason) and
  // removals; until then it answers Unimplemented, as containerd 1.6 does.
  // Takes the runtime's exit listener.
  void ServeContainerEvents();

  // Stops accepting calls, cancels those still running after `grace`, waits
  // for the handlers to return, and removes the socket file. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(1));

 private:
  struct Impl;  // the grpc::Server and the two services

  InMemoryCriServer(std::string socket_path, std::string temp_dir, std::unique_ptr<Impl> impl);

  const std::string socket_path_;
  const std::string endpoint_;
  const std::string temp_dir_;  // empty when the caller chose the path
  std::unique_ptr<Impl> impl_;
};

}  // namespace cubelet::cri

#endif  // CUBELET_CRI_GRPC_TESTING_IN_MEMORY_CRI_SERVER_H_
