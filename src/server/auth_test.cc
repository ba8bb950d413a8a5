#include "server/auth.h"

#include <string>
#include <vector>

#include "client/testing/fake_api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/webhook_auth.h"
#include "util/clock.h"

namespace cubelet::server {
namespace {

using client::Verb;
using nlohmann::json;
using ::testing::ElementsAre;

std::vector<std::string> Subresources(std::string_view method, std::string_view path) {
  std::vector<std::string> out;
  for (const RequestAttributes& a : RequestAttributesFor({.name = "u"}, method, path, "node-1")) {
    EXPECT_EQ(a.node_name, "node-1");
    EXPECT_EQ(a.path, path);
    out.push_back(a.subresource);
  }
  return out;
}

TEST(RequestAttributesTest, PathsMapToTheKubeletsSubresources) {
  EXPECT_THAT(Subresources("GET", "/pods"), ElementsAre("pods", "proxy"));
  EXPECT_THAT(Subresources("GET", "/runningpods/"), ElementsAre("pods", "proxy"));
  EXPECT_THAT(Subresources("GET", "/healthz"), ElementsAre("healthz", "proxy"));
  EXPECT_THAT(Subresources("GET", "/configz"), ElementsAre("configz", "proxy"));
  EXPECT_THAT(Subresources("GET", "/stats/summary"), ElementsAre("stats"));
  EXPECT_THAT(Subresources("GET", "/metrics"), ElementsAre("metrics"));
  EXPECT_THAT(Subresources("GET", "/metrics/cadvisor"), ElementsAre("metrics"));
  EXPECT_THAT(Subresources("GET", "/logs/syslog"), ElementsAre("log"));
  EXPECT_THAT(Subresources("GET", "/containerLogs/ns/p/c"), ElementsAre("proxy"));
  EXPECT_THAT(Subresources("POST", "/exec/ns/p/c"), ElementsAre("proxy"));
  // Prefixes count only at a path boundary.
  EXPECT_THAT(Subresources("GET", "/podsx"), ElementsAre("proxy"));
  EXPECT_THAT(Subresources("GET", "/metricsfoo"), ElementsAre("proxy"));
}

TEST(RequestAttributesTest, MethodsMapToVerbs) {
  auto verb = [](std::string_view method) {
    return RequestAttributesFor({.name = "u"}, method, "/exec/a/b/c", "n").front().verb;
  };
  EXPECT_EQ(verb("GET"), "get");
  EXPECT_EQ(verb("POST"), "create");
  EXPECT_EQ(verb("PUT"), "update");
  EXPECT_EQ(verb("PATCH"), "patch");
  EXPECT_EQ(verb("DELETE"), "delete");
}

TEST(TokenReviewAuthenticatorTest, AsksTheApiServerAndCachesTheAnswer) {
  client::testing::FakeApiClient api;
  FakeClock clock;
  api.OnReturn(Verb::kPost, "/apis/authentication.k8s.io/v1/tokenreviews",
               json{{"status",
                     {{"authenticated", true},
                      {"user",
                       {{"username", "system:serviceaccount:ns:sa"},
                        {"uid", "u-1"},
                        {"groups", {"system:serviceaccounts"}},
                        {"extra", {{"authentication.kubernetes.io/pod-name", {"p"}}}}}}}}});
  TokenReviewAuthenticator auth(&api, &clock);
  absl::StatusOr<std::optional<UserInfo>> user = auth.AuthenticateToken("tok");
  ASSERT_TRUE(user.ok()) << user.status();
  ASSERT_TRUE(user->has_value());
  EXPECT_EQ((*user)->name, "system:serviceaccount:ns:sa");
  EXPECT_EQ((*user)->uid, "u-1");
  EXPECT_THAT((*user)->groups, ElementsAre("system:serviceaccounts"));
  EXPECT_THAT((*user)->extra["authentication.kubernetes.io/pod-name"], ElementsAre("p"));
  std::vector<client::Request> sent = api.Requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].body["kind"], "TokenReview");
  EXPECT_EQ(sent[0].body["spec"]["token"], "tok");

  ASSERT_TRUE(auth.AuthenticateToken("tok").ok());
  EXPECT_EQ(api.Requests().size(), 1u);  // cached
  clock.Advance(absl::Minutes(2) + absl::Seconds(1));
  ASSERT_TRUE(auth.AuthenticateToken("tok").ok());
  EXPECT_EQ(api.Requests().size(), 2u);  // expired
}

TEST(TokenReviewAuthenticatorTest, RefusedTokensAreNotUsersAndErrorsAreNotCached) {
  client::testing::FakeApiClient api;
  FakeClock clock;
  api.OnReturn(Verb::kPost, "/apis/authentication.k8s.io/v1/tokenreviews",
               absl::UnavailableError("connection refused"));
  TokenReviewAuthenticator auth(&api, &clock);
  absl::StatusOr<std::optional<UserInfo>> user = auth.AuthenticateToken("tok");
  EXPECT_TRUE(absl::IsUnavailable(user.status())) << user.status();
  EXPECT_THAT(std::string(user.status().message()), ::testing::HasSubstr("TokenReview"));

  api.OnReturn(Verb::kPost, "/apis/authentication.k8s.io/v1/tokenreviews",
               json{{"status", {{"authenticated", false}, {"error", "invalid bearer token"}}}});
  user = auth.AuthenticateToken("tok");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_FALSE(user->has_value());
  EXPECT_EQ(api.Requests().size(), 2u);
}

TEST(SubjectAccessReviewAuthorizerTest, SendsTheAttributesAndCachesByOutcome) {
  client::testing::FakeApiClient api;
  FakeClock clock;
  bool allow = true;
  api.On(Verb::kPost, "/apis/authorization.k8s.io/v1/subjectaccessreviews",
         [&](const client::Request&) -> absl::StatusOr<json> {
           return json{{"status", {{"allowed", allow}}}};
         });
  SubjectAccessReviewAuthorizer authz(&api, &clock);
  RequestAttributes a{.user = {.name = "alice", .groups = {"dev", "system:authenticated"}},
                      .verb = "get",
                      .subresource = "log",
                      .node_name = "node-1",
                      .path = "/logs/x"};
  absl::StatusOr<bool> allowed = authz.Authorize(a);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_TRUE(*allowed);
  std::vector<client::Request> sent = api.Requests();
  ASSERT_EQ(sent.size(), 1u);
  const json& spec = sent[0].body["spec"];
  EXPECT_EQ(sent[0].body["kind"], "SubjectAccessReview");
  EXPECT_EQ(spec["user"], "alice");
  EXPECT_EQ(spec["groups"], json({"dev", "system:authenticated"}));
  EXPECT_EQ(spec["resourceAttributes"], json({{"verb", "get"},
                                              {"group", ""},
                                              {"version", "v1"},
                                              {"resource", "nodes"},
                                              {"subresource", "log"},
                                              {"name", "node-1"}}));

  // Allowed answers last 5 minutes.
  allow = false;
  clock.Advance(absl::Minutes(4));
  EXPECT_TRUE(*authz.Authorize(a));
  clock.Advance(absl::Minutes(2));
  EXPECT_FALSE(*authz.Authorize(a));
  // Denied ones 30 seconds.
  allow = true;
  clock.Advance(absl::Seconds(20));
  EXPECT_FALSE(*authz.Authorize(a));
  clock.Advance(absl::Seconds(11));
  EXPECT_TRUE(*authz.Authorize(a));
  // Another subresource is another question.
  a.subresource = "proxy";
  EXPECT_TRUE(*authz.Authorize(a));
  EXPECT_EQ(api.Requests().size(), 4u);
}

}  // namespace
}  // namespace cubelet::server
