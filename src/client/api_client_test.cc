#include "client/api_client.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::client {
namespace {

std::string StatusBody(int code, const std::string& reason, const std::string& message) {
  return nlohmann::json{
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}}
      .dump();
}

TEST(VerbNameTest, Names) {
  EXPECT_EQ(VerbName(Verb::kGet), "GET");
  EXPECT_EQ(VerbName(Verb::kPost), "POST");
  EXPECT_EQ(VerbName(Verb::kPut), "PUT");
  EXPECT_EQ(VerbName(Verb::kPatch), "PATCH");
  EXPECT_EQ(VerbName(Verb::kDelete), "DELETE");
}

TEST(StatusFromHttpTest, MapsCodesAndReasons) {
  struct Case {
    int code;
    std::string reason;
    absl::StatusCode want;
  };
  const Case cases[] = {
      {400, "BadRequest", absl::StatusCode::kInvalidArgument},
      {422, "Invalid", absl::StatusCode::kInvalidArgument},
      {401, "Unauthorized", absl::StatusCode::kUnauthenticated},
      {403, "Forbidden", absl::StatusCode::kPermissionDenied},
      {404, "NotFound", absl::StatusCode::kNotFound},
      {409, "AlreadyExists", absl::StatusCode::kAlreadyExists},
      {409, "Conflict", absl::StatusCode::kAborted},
      {410, "Expired", absl::StatusCode::kFailedPrecondition},
      {429, "TooManyRequests", absl::StatusCode::kResourceExhausted},
      {500, "InternalError", absl::StatusCode::kUnavailable},
      {503, "ServiceUnavailable", absl::StatusCode::kUnavailable},
      {504, "Timeout", absl::StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    absl::Status s = StatusFromHttp(c.code, StatusBody(c.code, c.reason, "the message"));
    EXPECT_EQ(s.code(), c.want);
    EXPECT_EQ(s.message(), "the message");
    EXPECT_EQ(HttpCodeOf(s), c.code);
    EXPECT_EQ(ReasonOf(s), c.reason);
  }
}

TEST(StatusFromHttpTest, Predicates) {
  absl::Status not_found = StatusFromHttp(404, StatusBody(404, "NotFound", "pods \"x\" not found"));
  EXPECT_TRUE(client::IsNotFound(not_found));
  EXPECT_FALSE(client::IsAlreadyExists(not_found));
  EXPECT_FALSE(client::IsConflict(not_found));
  EXPECT_FALSE(client::IsGone(not_found));

  absl::Status exists = StatusFromHttp(409, StatusBody(409, "AlreadyExists", "exists"));
  EXPECT_TRUE(client::IsAlreadyExists(exists));
  EXPECT_FALSE(client::IsConflict(exists));

  absl::Status conflict = StatusFromHttp(409, StatusBody(409, "Conflict", "modified"));
  EXPECT_TRUE(client::IsConflict(conflict));
  EXPECT_FALSE(client::IsAlreadyExists(conflict));

  absl::Status gone = StatusFromHttp(410, StatusBody(410, "Expired", "too old resource version"));
  EXPECT_TRUE(client::IsGone(gone));
  EXPECT_FALSE(client::IsNotFound(gone));

  // Plain errors that never saw HTTP are none of these.
  for (const absl::Status& s :
       {absl::NotFoundError("x"), absl::AlreadyExistsError("x"), absl::AbortedError("x"),
        absl::UnavailableError("x"), absl::OkStatus()}) {
    EXPECT_FALSE(client::IsNotFound(s) || client::IsAlreadyExists(s) || client::IsConflict(s) ||
                 client::IsGone(s))
        << s;
    EXPECT_EQ(HttpCodeOf(s), 0);
    EXPECT_EQ(ReasonOf(s), "");
  }
}

TEST(StatusFromHttpTest, BodyThatIsNotAStatus) {
  absl::Status s = StatusFromHttp(404, "404 page not found\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "404 page not found\n");
  EXPECT_EQ(HttpCodeOf(s), 404);
  EXPECT_EQ(ReasonOf(s), "NotFound");  // client-go's generic reason
  EXPECT_TRUE(client::IsNotFound(s));

  // JSON, but not a Status: quoted as text.
  s = StatusFromHttp(500, R"({"kind":"Pod"})");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), R"({"kind":"Pod"})");
  EXPECT_EQ(ReasonOf(s), "InternalError");

  // Long bodies are cut to their first 200 bytes.
  s = StatusFromHttp(502, std::string(1000, 'x'));
  EXPECT_EQ(s.message(), std::string(200, 'x'));

  // ... not inside a UTF-8 sequence.
  std::string utf8 = std::string(199, 'a') + "\xc3\xa9" + std::string(10, 'b');
  s = StatusFromHttp(502, utf8);
  EXPECT_EQ(s.message(), std::string(199, 'a'));

  // An empty body names the code.
  s = StatusFromHttp(503, "");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("503"));

  // A 409 without a Status is a conflict; a 410 is gone.
  EXPECT_TRUE(client::IsConflict(StatusFromHttp(409, "")));
  EXPECT_TRUE(client::IsGone(StatusFromHttp(410, "")));
}

TEST(StatusFromHttpTest, StatusWithoutMessageOrReason) {
  absl::Status s = StatusFromHttp(409, R"({"kind":"Status","status":"Failure","code":409})");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(s), "Conflict");
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("409"));
}

TEST(StatusFromHttpTest, OtherCodes) {
  EXPECT_EQ(StatusFromHttp(405, "").code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(StatusFromHttp(408, "").code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusFromHttp(415, "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusFromHttp(302, "").code(), absl::StatusCode::kUnknown);
}

TEST(ApiErrorTest, BuildsWhatStatusFromHttpBuilds) {
  absl::Status s = ApiError(404, "NotFound", "pods \"x\" not found");
  EXPECT_EQ(s, StatusFromHttp(404, StatusBody(404, "NotFound", "pods \"x\" not found")));
  EXPECT_TRUE(client::IsNotFound(s));
  EXPECT_TRUE(client::IsAlreadyExists(ApiError(409, "AlreadyExists", "")));
  EXPECT_TRUE(client::IsConflict(ApiError(409, "", "")));
  EXPECT_TRUE(client::IsGone(ApiError(410, "Expired", "")));
}

}  // namespace
}  // namespace cubelet::client
