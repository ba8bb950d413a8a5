#include "kubelet/runtime_state.h"

#include "gtest/gtest.h"

namespace cubelet::kubelet {
namespace {

cri::RuntimeStatus Ready(bool runtime, bool network) {
  cri::RuntimeStatus s;
  s.conditions.push_back(
      {.type = "RuntimeReady", .status = runtime, .reason = "R", .message = "m"});
  s.conditions.push_back(
      {.type = "NetworkReady", .status = network, .reason = "N", .message = "n"});
  return s;
}

TEST(RuntimeStateTest, UnhealthyUntilTheRuntimeFirstAnswers) {
  RuntimeState state;
  EXPECT_EQ(state.RuntimeError().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(state.Healthy().message(), "container runtime not checked yet");
  EXPECT_TRUE(state.SetRuntimeStatus(Ready(true, true)));
  EXPECT_TRUE(state.Healthy().ok());
}

TEST(RuntimeStateTest, RuntimeDownOrNotReadyIsTheFirstReason) {
  RuntimeState state;
  state.AddHealthCheck("PLEG", [] { return absl::UnavailableError("stale"); });
  EXPECT_FALSE(state.SetRuntimeStatus(absl::UnavailableError("connection refused")));
  EXPECT_EQ(state.Healthy().message(), "container runtime is down: connection refused");
  EXPECT_FALSE(state.SetRuntimeStatus(Ready(false, true)));
  EXPECT_EQ(state.Healthy().message(), "container runtime not ready: R: m");
  EXPECT_TRUE(state.SetRuntimeStatus(Ready(true, true)));
  EXPECT_EQ(state.Healthy().message(), "PLEG is not healthy: stale");
}

TEST(RuntimeStateTest, NetworkNotReadyIsKeptApartFromHealth) {
  RuntimeState state;
  EXPECT_TRUE(state.SetRuntimeStatus(Ready(true, false)));
  EXPECT_EQ(state.NetworkError().message(), "container runtime network not ready: N: n");
  EXPECT_TRUE(state.Healthy().ok()) << "host-network pods still run";
  state.SetRuntimeStatus(Ready(true, true));
  EXPECT_TRUE(state.NetworkError().ok());
}

TEST(RuntimeStateTest, ChecksRunInOrderAndTheFirstFailureWins) {
  RuntimeState state;
  state.SetRuntimeStatus(Ready(true, true));
  bool pleg_ok = true;
  state.AddHealthCheck("PLEG", [&] {
    return pleg_ok ? absl::OkStatus() : absl::UnavailableError("pleg was last seen active 4m ago");
  });
  state.AddHealthCheck("file source", [] { return absl::UnavailableError("stuck"); });
  EXPECT_EQ(state.Healthy().message(), "file source is not healthy: stuck");
  pleg_ok = false;
  EXPECT_EQ(state.Healthy().message(), "PLEG is not healthy: pleg was last seen active 4m ago");
}

}  // namespace
}  // namespace cubelet::kubelet
