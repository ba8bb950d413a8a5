#include "token/token_manager.h"

#include "client/testing/fake_api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/clock.h"

namespace cubelet::token {
namespace {

using client::Verb;
using nlohmann::json;

constexpr char kPath[] = "/api/v1/namespaces/ns/serviceaccounts/default/token";

TokenRequest Request() {
  return TokenRequest{.namespace_ = "ns",
                      .service_account = "default",
                      .audience = "vault",
                      .expiration_seconds = 3600,
                      .pod_name = "web",
                      .pod_uid = "uid-1"};
}

class TokenManagerTest : public ::testing::Test {
 protected:
  // Answers token-<n>, expiring `lifetime` after the clock's now.
  void Serve(absl::Duration lifetime) {
    api_.On(Verb::kPost, kPath, [this, lifetime](const client::Request&) -> absl::StatusOr<json> {
      ++issued_;
      return json{
          {"status",
           {{"token", "token-" + std::to_string(issued_)},
            {"expirationTimestamp",
             absl::FormatTime(absl::RFC3339_sec, clock_.Now() + lifetime, absl::UTCTimeZone())}}}};
    });
  }

  client::testing::FakeApiClient api_;
  FakeClock clock_;
  TokenManager manager_{&api_, &clock_};
  int issued_ = 0;
};

TEST_F(TokenManagerTest, RequestsABoundTokenAndCachesIt) {
  Serve(absl::Hours(1));
  absl::StatusOr<std::string> t = manager_.GetServiceAccountToken(Request());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, "token-1");
  std::vector<client::Request> sent = api_.Requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].body["kind"], "TokenRequest");
  EXPECT_EQ(sent[0].body["spec"],
            json({{"audiences", {"vault"}},
                  {"expirationSeconds", 3600},
                  {"boundObjectRef",
                   {{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", "web"}, {"uid", "uid-1"}}}}));
  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(*manager_.GetServiceAccountToken(Request()), "token-1");
  EXPECT_EQ(api_.Requests().size(), 1u);
}

TEST_F(TokenManagerTest, RefreshesAt80PercentOfItsLifetime) {
  Serve(absl::Hours(1));
  ASSERT_EQ(*manager_.GetServiceAccountToken(Request()), "token-1");
  clock_.Advance(absl::Minutes(47));  // 78 %, more than the jitter before 80 %
  EXPECT_EQ(*manager_.GetServiceAccountToken(Request()), "token-1");
  clock_.Advance(absl::Minutes(2));  // 81.7 %
  EXPECT_EQ(*manager_.GetServiceAccountToken(Request()), "token-2");
}

TEST_F(TokenManagerTest, LongLivedTokensAreRefreshedAfterADay) {
  Serve(absl::Hours(48));
  TokenRequest two_days = Request();
  two_days.expiration_seconds = 48 * 3600;
  ASSERT_EQ(*manager_.GetServiceAccountToken(two_days), "token-1");
  clock_.Advance(absl::Hours(23));
  EXPECT_EQ(*manager_.GetServiceAccountToken(two_days), "token-1");
  clock_.Advance(absl::Hours(2));  // 52 % of its lifetime, but a day old
  EXPECT_EQ(*manager_.GetServiceAccountToken(two_days), "token-2");
}

TEST_F(TokenManagerTest, AFailedRefreshKeepsTheValidTokenAndAFirstFailureIsAnError) {
  api_.OnReturn(Verb::kPost, kPath, absl::PermissionDeniedError("forbidden"));
  absl::StatusOr<std::string> t = manager_.GetServiceAccountToken(Request());
  EXPECT_TRUE(absl::IsPermissionDenied(t.status())) << t.status();
  EXPECT_THAT(std::string(t.status().message()), ::testing::StartsWith("failed to fetch token"));

  Serve(absl::Hours(1));
  ASSERT_EQ(*manager_.GetServiceAccountToken(Request()), "token-1");
  clock_.Advance(absl::Minutes(55));
  api_.OnReturn(Verb::kPost, kPath, absl::UnavailableError("down"));
  EXPECT_EQ(*manager_.GetServiceAccountToken(Request()), "token-1");
  clock_.Advance(absl::Minutes(6));  // expired: nothing to fall back on
  EXPECT_FALSE(manager_.GetServiceAccountToken(Request()).ok());
}

TEST_F(TokenManagerTest, TokensArePerPodAndForgottenWithIt) {
  Serve(absl::Hours(1));
  TokenRequest other = Request();
  other.pod_name = "db";
  other.pod_uid = "uid-2";
  EXPECT_EQ(*manager_.GetServiceAccountToken(Request()), "token-1");
  EXPECT_EQ(*manager_.GetServiceAccountToken(other), "token-2");
  EXPECT_EQ(manager_.cached(), 2u);
  manager_.ForgetPod("uid-1");
  EXPECT_EQ(manager_.cached(), 1u);
  EXPECT_EQ(*manager_.GetServiceAccountToken(other), "token-2");
}

TEST(RequiresRefreshTest, EightyPercentOrADayLessTheJitter) {
  absl::Time expiry = absl::FromUnixSeconds(100'000);
  EXPECT_FALSE(RequiresRefresh(expiry - absl::Seconds(721), expiry, 3600, absl::ZeroDuration()));
  EXPECT_TRUE(RequiresRefresh(expiry - absl::Seconds(719), expiry, 3600, absl::ZeroDuration()));
  EXPECT_TRUE(RequiresRefresh(expiry - absl::Seconds(725), expiry, 3600, absl::Seconds(10)));
}

}  // namespace
}  // namespace cubelet::token
