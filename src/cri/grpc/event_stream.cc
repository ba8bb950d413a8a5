#include "cri/grpc/event_stream.h"

#include "absl/strings/str_cat.h"
#include "cri/grpc/convert.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace cubelet::cri {

absl::StatusOr<std::shared_ptr<::grpc::Channel>> NewEventStreamChannel(
    const std::string& endpoint) {
  absl::StatusOr<std::string> target = convert::NormalizeEndpoint(endpoint);
  if (!target.ok()) return target.status();
  ::grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 3000);
  std::shared_ptr<::grpc::Channel> channel =
      ::grpc::CreateCustomChannel(*target, ::grpc::InsecureChannelCredentials(), args);
  if (channel == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a gRPC channel to ", *target));
  }
  return channel;
}

}  // namespace cubelet::cri
