#include "probe/grpc.h"

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"

namespace cubelet::probe {
namespace {

// The two messages of grpc/health/v1/health.proto are one field each, so they
// are encoded by hand rather than generated:
//   HealthCheckRequest  { string service = 1; }
//   HealthCheckResponse { ServingStatus status = 1; }  SERVING = 1
constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";

std::string EncodeRequest(const std::string& service) {
  std::string out;
  if (service.empty()) return out;
  out.push_back(0x0a);  // field 1, length-delimited
  uint64_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out += service;
  return out;
}

// The ServingStatus in a HealthCheckResponse (0 UNKNOWN when absent).
int64_t DecodeStatus(const std::string& bytes) {
  size_t i = 0;
  auto varint = [&](uint64_t& v) {
    v = 0;
    for (int shift = 0; i < bytes.size() && shift < 64; shift += 7) {
      uint8_t b = static_cast<uint8_t>(bytes[i++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  };
  int64_t status = 0;
  while (i < bytes.size()) {
    uint64_t key;
    if (!varint(key)) break;
    uint64_t wire = key & 7, field = key >> 3;
    uint64_t v;
    if (wire == 0) {
      if (!varint(v)) break;
      if (field == 1) status = static_cast<int64_t>(v);
    } else if (wire == 2) {
      if (!varint(v) || v > bytes.size() - i) break;
      i += v;
    } else {
      break;  // nothing else appears in this message
    }
  }
  return status;
}

const char* StatusName(int64_t s) {
  switch (s) {
    case 1:
      return "SERVING";
    case 2:
      return "NOT_SERVING";
    case 3:
      return "SERVICE_UNKNOWN";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

Outcome GrpcHealthCheck(const std::string& host, int port, const std::string& service,
                        absl::Duration timeout) {
  const std::string target = absl::StrCat(host, ":", port);
  if (port <= 0 || port > 65535) return {Result::kUnknown, absl::StrCat("invalid port ", port)};
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::microseconds(absl::ToInt64Microseconds(timeout)));
  context.set_wait_for_ready(false);

  const std::string request_bytes = EncodeRequest(service);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, kCheckMethod, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      return {Result::kFailure, absl::StrCat("timeout: health rpc did not complete within ",
                                             absl::FormatDuration(timeout))};
    }
    return {Result::kFailure,
            absl::StrCat("error: health rpc to ", target, " failed: ", status.error_message())};
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  int64_t serving = DecodeStatus(bytes);
  if (serving == 1) return {Result::kSuccess, ""};
  return {Result::kFailure,
          absl::StrCat("service unhealthy (responded with \"", StatusName(serving), "\")")};
}

}  // namespace cubelet::probe
