// The gateway in front of fake backends: API keys and their cache, the generic refusal, workspace
// and request id on every forwarded call, deadlines, per-key rate limits, read retries, and the
// REST mapping (Phala Cloud shapes, errors, hardening).
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/server/status.h"
#include "lib/testing/command.h"
#include "lib/testing/status_matchers.h"
#include "nlohmann/json.hpp"
#include "services/gateway/confirm_page.h"
#include "services/gateway/gateway_fixture_test.h"
#include "services/gateway/http_server.h"
#include "services/gateway/rest_internal.h"

namespace chainkms::gateway {
namespace {

using ::chainkms::testutil::HasReason;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

class GatewayTest : public GatewayTestBase {};

TEST_F(GatewayTest, EveryBadKeyGetsTheSameGenericRefusal) {
  pb::GetCvmRequest req;
  req.set_cvm_id("cvm_1");
  pb::GetCvmResponse resp;
  std::string message;
  for (const std::string& key : {std::string(), std::string("nonsense"), Key('9'), Key('1', 'b'),
                                 Key('3'), Key('1').substr(0, 50)}) {
    grpc::Status s = prov_stub_->GetCvm(With(key).get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << key;
    EXPECT_THAT(s, HasReason("UNAUTHENTICATED")) << key;
    if (message.empty()) message = s.error_message();
    EXPECT_EQ(s.error_message(), message) << key;  // nothing tells which part was wrong
    HttpResponse r = Rest("GET", "/api/v1/cvms/cvm_1", key);
    EXPECT_EQ(r.status, 401) << key;
    EXPECT_EQ(json::parse(r.body)["detail"]["message"], message);
  }
  EXPECT_EQ(prov_.calls, 0);  // nothing reached provisioning
}

TEST_F(GatewayTest, AValidKeyScopesTheCallToItsWorkspaceWithTheRequestId) {
  pb::GetCvmRequest req;
  req.set_cvm_id("cvm_1");
  pb::GetCvmResponse resp;
  auto ctx = With(Key('1'));
  ctx->set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Seconds(2)));  // shorter than the 5 s bound
  ctx->AddMetadata("x-request-id", "req-123");
  ASSERT_TRUE(prov_stub_->GetCvm(ctx.get(), req, &resp).ok());
  Seen seen = prov_.Last();
  EXPECT_EQ(seen.workspace, "ws-a");
  EXPECT_EQ(seen.request_id, "req-123");
  EXPECT_LE(seen.deadline_left, absl::Milliseconds(2100));  // the caller's deadline, propagated
  EXPECT_GT(seen.deadline_left, absl::Seconds(0));
  ASSERT_TRUE(prov_stub_->GetCvm(With(Key('2')).get(), req, &resp).ok());
  EXPECT_EQ(prov_.Last().workspace, "ws-b");
  // REST: the X-Request-Id header, echoed back.
  HttpResponse r = Rest("GET", "/api/v1/cvms/cvm_1", Key('2'), "", {{"x-request-id", "rest-9"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(prov_.Last().workspace, "ws-b");
  EXPECT_EQ(prov_.Last().request_id, "rest-9");
  EXPECT_THAT(r.headers,
              ::testing::Contains(std::pair<std::string, std::string>("X-Request-Id", "rest-9")));
}

TEST_F(GatewayTest, LookupsAreCachedAndARevocationTakesEffectAfterTheTtl) {
  pb::GetCvmRequest req;
  req.set_cvm_id("cvm_1");
  pb::GetCvmResponse resp;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).ok());
  EXPECT_EQ(admin_.lookups, 1);
  admin_.Add(Key('1'), "ws-a", /*revoked=*/true);
  EXPECT_TRUE(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).ok());  // cached
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(admin_.lookups, 2);
  // An unknown key is cached too: a flood costs one lookup per TTL.
  for (int i = 0; i < 5; ++i) (void)prov_stub_->GetCvm(With(Key('8')).get(), req, &resp);
  EXPECT_EQ(admin_.lookups, 3);
}

TEST_F(GatewayTest, AnAdminOutageIsUnavailableNotARefusal) {
  admin_.down = true;
  pb::GetCvmRequest req;
  pb::GetCvmResponse resp;
  grpc::Status s = prov_stub_->GetCvm(With(Key('1')).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  HttpResponse r = Rest("GET", "/api/v1/cvms/cvm_1", Key('1'));
  EXPECT_EQ(r.status, 503);
  admin_.down = false;  // not cached: the next call looks again
  EXPECT_TRUE(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).ok());
}

TEST_F(GatewayTest, ReadsAreRetriedOnceOnUnavailableWritesNever) {
  std::atomic<int> n{0};
  prov_.get_cvm = [&](const pb::GetCvmRequest&, pb::GetCvmResponse*) {
    return ++n == 1 ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "replica down")
                    : grpc::Status::OK;
  };
  pb::GetCvmRequest req;
  pb::GetCvmResponse resp;
  EXPECT_TRUE(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).ok());
  EXPECT_EQ(n, 2);
  prov_.get_cvm = [&](const pb::GetCvmRequest&, pb::GetCvmResponse*) {
    ++n;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  };
  n = 0;
  EXPECT_EQ(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(n, 2);  // once more, not forever
  prov_.patch = [&](const pb::PatchCvmRequest&, pb::PatchCvmResponse*) {
    ++n;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  };
  n = 0;
  pb::PatchCvmRequest patch;
  pb::PatchCvmResponse patched;
  EXPECT_EQ(prov_stub_->PatchCvm(With(Key('1')).get(), patch, &patched).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(n, 1);
}

TEST_F(GatewayTest, CommitUpdateNeedsNoKeyButRefusesABadOne) {
  pb::CommitCvmUpdateRequest req;
  req.set_cvm_id("cvm_1");
  req.set_token("ckt_x");
  req.set_already_registered(true);
  pb::CommitCvmUpdateResponse resp;
  ASSERT_TRUE(prov_stub_->CommitCvmUpdate(With("").get(), req, &resp).ok());
  EXPECT_EQ(prov_.Last().workspace, "");  // the token is the credential
  ASSERT_TRUE(prov_stub_->CommitCvmUpdate(With(Key('2')).get(), req, &resp).ok());
  EXPECT_EQ(prov_.Last().workspace, "ws-b");
  EXPECT_EQ(prov_stub_->CommitCvmUpdate(With(Key('9')).get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  HttpResponse r = Rest("POST", "/api/v1/cvms/cvm_1/commit-update", "",
                        R"({"token":"ckt_x","transaction_hash":"already-registered"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["correlation_id"].is_string());
  EXPECT_EQ(json::parse(r.body)["status"], "in_progress");
}

TEST_F(GatewayTest, TheRegistrysSigningWritesAreNotReServed) {
  pb::DeployAppRequest req;
  pb::DeployAppResponse resp;
  EXPECT_EQ(reg_stub_->DeployApp(With(Key('1')).get(), req, &resp).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

class GatewayRateTest : public GatewayTestBase {
 protected:
  GatewayRateTest() {
    rate_ = 1;
    burst_ = 2;
  }
};

TEST_F(GatewayRateTest, EachKeyHasItsOwnBucketOverTheClock) {
  pb::GetCvmRequest req;
  pb::GetCvmResponse resp;
  EXPECT_TRUE(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).ok());
  EXPECT_TRUE(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).ok());
  grpc::Status s = prov_stub_->GetCvm(With(Key('1')).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s, HasReason("RATE_LIMITED"));
  EXPECT_THAT(s.error_message(), HasSubstr("1000 ms"));
  EXPECT_TRUE(prov_stub_->GetCvm(With(Key('2')).get(), req, &resp).ok());  // another key
  HttpResponse r = Rest("GET", "/api/v1/cvms/cvm_1", Key('1'));
  EXPECT_EQ(r.status, 429);
  EXPECT_THAT(r.headers,
              ::testing::Contains(std::pair<std::string, std::string>("Retry-After", "1")));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(prov_stub_->GetCvm(With(Key('1')).get(), req, &resp).ok());
}

TEST_F(GatewayTest, AChangedHashAnswers465WithTheDetailsTheSdkReads) {
  prov_.patch = [](const pb::PatchCvmRequest& req, pb::PatchCvmResponse* resp) {
    pb::OnChainHashRequired* r = resp->mutable_requires_on_chain_hash();
    r->set_compose_hash(std::string(32, '\xab'));
    r->set_app_id(std::string(20, '\xcd'));
    r->set_device_id(std::string(32, '\xd1'));
    r->mutable_kms()->set_slug("anvil");
    r->mutable_kms()->set_chain_id(31337);
    r->mutable_kms()->set_kms_contract(std::string(20, '\x11'));
    r->mutable_onchain_status()->set_device_id_allowed(true);
    if (req.prepare_only()) {
      r->set_commit_token("ckt_t");
      r->set_commit_url("https://x/cvms/cvm_1/confirm-update?token=ckt_t");
      r->set_api_commit_url("https://x/api/v1/cvms/cvm_1/commit-update?token=ckt_t");
    }
    return grpc::Status::OK;
  };
  HttpResponse r = Rest("PATCH", "/api/v1/cvms/cvm_1", Key('1'), R"({"docker_compose_file":"new"})",
                        {{"x-prepare-only", "true"}});
  ASSERT_EQ(r.status, 465) << r.body;
  json detail = json::parse(r.body)["detail"];
  EXPECT_EQ(detail["error_code"], "ERR-01-005");
  std::map<std::string, json> fields;
  for (const json& d : detail["details"]) fields[d["field"]] = d["value"];
  std::string ab;
  for (int i = 0; i < 32; ++i) ab += "ab";
  EXPECT_EQ(fields["compose_hash"], "0x" + ab);
  EXPECT_EQ(fields["app_id"], "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
  EXPECT_TRUE(fields["device_id"].is_string());
  for (const char* k :
       {"id", "slug", "url", "version", "chain_id", "kms_contract_address", "gateway_app_id"}) {
    EXPECT_TRUE(fields["kms_info"].contains(k)) << k;
  }
  EXPECT_EQ(fields["commit_token"], "ckt_t");
  EXPECT_EQ(fields["onchain_status"]["device_id_allowed"], true);
  // The patch merged into the current compose: the old keys stay, the new file replaces.
  EXPECT_EQ(prov_.last_patch.compose().docker_compose_file(), "new");
  EXPECT_EQ(prov_.last_patch.compose().allowed_envs_size(), 1);
  EXPECT_TRUE(prov_.last_patch.prepare_only());
}

TEST_F(GatewayTest, BadInputIs400NamingTheFieldAndBackendTroubleSaysNothingInternal) {
  HttpResponse r = Rest("POST", "/api/v1/cvms/provision", Key('1'), "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("body"));
  r = Rest("POST", "/api/v1/cvms/provision", Key('1'),
           R"({"name":"web","compose_file":{"public_logs":"yes"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("compose_file.public_logs"));
  r = Rest("POST", "/api/v1/cvms", Key('1'), R"({"app_id":"0x12","compose_hash":"00"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("app_id"));
  r = Rest("PATCH", "/api/v1/cvms/cvm_1", Key('1'), "{}",
           {{"x-compose-hash", "0x12"}, {"x-transaction-hash", std::string(64, 'a')}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("X-Compose-Hash"));
  prov_.get_cvm = [](const pb::GetCvmRequest&, pb::GetCvmResponse*) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "registry 10.1.2.3:50051 refused");
  };
  r = Rest("GET", "/api/v1/cvms/cvm_1", Key('1'));
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, Not(HasSubstr("10.1.2.3")));
  EXPECT_EQ(Rest("GET", "/api/v1/nothing", Key('1')).status, 404);
  EXPECT_EQ(Rest("GET", "/etc/passwd", Key('1')).status, 404);
  EXPECT_EQ(Rest("PUT", "/api/v1/cvms/cvm_1", Key('1')).status, 405);
  EXPECT_EQ(Rest("GET", "/api/v1/cvms/a b", Key('1')).status, 400);
}

TEST_F(GatewayTest, KmsShapesAreExactlyWhatTheStrictSchemasAllow) {
  HttpResponse r = Rest("GET", "/api/v1/kms", Key('1'));
  ASSERT_EQ(r.status, 200) << r.body;
  json list = json::parse(r.body);
  EXPECT_EQ(list.size(), 5u);
  EXPECT_EQ(list["items"][0]["kms_contract_address"], "0x1111111111111111111111111111111111111111");
  r = Rest("GET", "/api/v1/kms/anvil/pubkey/0x" + std::string(40, 'c'), Key('1'));
  ASSERT_EQ(r.status, 200) << r.body;
  json pub = json::parse(r.body);
  EXPECT_EQ(pub.size(), 2u);
  EXPECT_EQ(pub["public_key"], std::string(64, '2'));
  EXPECT_EQ(pub["signature"].get<std::string>().size(), 130u);
  EXPECT_EQ(Rest("GET", "/api/v1/kms/anvil/pubkey/" + std::string(40, 'c'), Key('1')).status, 200);
  EXPECT_EQ(Rest("GET", "/api/v1/kms/nope/pubkey/" + std::string(40, 'c'), Key('1')).status, 404);
  EXPECT_EQ(Rest("GET", "/api/v1/kms/anvil/pubkey/abc", Key('1')).status, 400);
}

TEST_F(GatewayTest, CorsIsOffByDefaultAndOnForListedOrigins) {
  HttpResponse r = Rest("GET", "/api/v1/kms", Key('1'), "", {{"origin", "https://evil.example"}});
  for (const auto& [k, v] : r.headers) EXPECT_NE(k, "Access-Control-Allow-Origin");
  EXPECT_EQ(Rest("OPTIONS", "/api/v1/kms", "").status, 405);
  RestApi cors(*gateway_, {.cors_origins = {"https://app.example"}});
  HttpRequest req{.method = "GET",
                  .path = "/api/v1/kms",
                  .headers = {{"x-api-key", Key('1')}, {"origin", "https://app.example"}}};
  r = cors.Handle(req);
  EXPECT_THAT(r.headers, ::testing::Contains(std::pair<std::string, std::string>(
                             "Access-Control-Allow-Origin", "https://app.example")));
  req.method = "OPTIONS";
  EXPECT_EQ(cors.Handle(req).status, 204);
}

TEST_F(GatewayTest, TheConfirmPageEscapesWhatItPrintsAndLocksItselfDown) {
  prov_.pending_name = "<img src=x onerror=alert(1)>";
  HttpResponse r = Rest("GET", "/cvms/cvm_1/confirm-update?token=ckt_good", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(r.body, Not(HasSubstr("<img")));
  EXPECT_THAT(r.body, HasSubstr("&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(r.body, HasSubstr("Base (ID: 8453)"));
  EXPECT_THAT(r.body, HasSubstr("Compose hash NOT registered"));
  EXPECT_THAT(r.body, HasSubstr("0x1e07"));
  EXPECT_THAT(r.body, Not(HasSubstr("http://")));  // no external asset
  EXPECT_THAT(r.body, Not(HasSubstr("https://")));
  std::string csp;
  for (const auto& [k, v] : r.headers) {
    if (k == "Content-Security-Policy") csp = v;
  }
  EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
  EXPECT_THAT(csp, HasSubstr("script-src 'sha256-"));
  EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
  EXPECT_EQ(prov_.Last().workspace, "");  // the token is the credential
  // A bad token: a page saying so, never the token echoed back.
  r = Rest("GET", "/cvms/cvm_1/confirm-update?token=%3Cscript%3E", "");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, Not(HasSubstr("<script>alert")));
  EXPECT_EQ(Rest("GET", "/cvms/cvm_1/confirm-update", "").status, 400);
  EXPECT_EQ(Rest("POST", "/cvms/cvm_1/confirm-update?token=ckt_good", "").status, 405);
  EXPECT_EQ(HtmlEscape(R"(<a href="x" title='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
}

// The CivetWeb server itself: size limit before reading, security headers, request id.
TEST_F(GatewayTest, TheHttpServerRefusesOversizedBodiesAndSetsSecurityHeaders) {
  server::Metrics metrics;
  absl::StatusOr<std::unique_ptr<HttpServer>> http = HttpServer::Start(
      {.listen = "127.0.0.1:0", .threads = 2, .max_body_bytes = 2048, .metrics = &metrics},
      [this](const HttpRequest& r) { return rest_->Handle(r); });
  ASSERT_TRUE(http.ok()) << http.status();
  const std::string url = absl::StrCat("http://127.0.0.1:", (*http)->port());
  testutil::CommandResult big = testutil::RunCommand(absl::StrCat(
      "head -c 4096 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -H 'Expect:' -X POST "
      "--data-binary @- "
      "-H 'X-API-Key: ",
      Key('1'), "' ", url, "/api/v1/cvms/provision"));
  EXPECT_EQ(big.out, "413");
  testutil::CommandResult ok = testutil::RunCommand(absl::StrCat(
      "curl -s -D - -o /dev/null -H 'X-API-Key: ", Key('1'), "' ", url, "/api/v1/kms"));
  EXPECT_THAT(ok.out, HasSubstr("200 OK"));
  EXPECT_THAT(ok.out, HasSubstr("X-Content-Type-Options: nosniff"));
  EXPECT_THAT(ok.out, HasSubstr("Cache-Control: no-store"));
  EXPECT_THAT(ok.out, HasSubstr("X-Request-Id: "));
  EXPECT_THAT(ok.out, Not(HasSubstr("Access-Control-Allow-Origin")));
  EXPECT_THAT(
      metrics.Serialize(),
      HasSubstr(R"(chainkms_http_requests_total{code="200",method="GET",route="/api/v1/kms"} 1)"));
  EXPECT_THAT(metrics.Serialize(), HasSubstr(R"(code="413")"));
  (*http)->Stop();
}

TEST_F(GatewayTest, ReasonsMapToThePhalaStatusesAndCodes) {
  struct Case {
    Reason reason;
    absl::StatusCode code;
    int http;
    std::string error_code;
  };
  const Case cases[] = {
      {Reason::kHashRegistrationRequired, absl::StatusCode::kFailedPrecondition, 465, "ERR-01-005"},
      {Reason::kHashInvalidOrExpired, absl::StatusCode::kFailedPrecondition, 466, "ERR-01-006"},
      {Reason::kTransactionVerificationFailed, absl::StatusCode::kFailedPrecondition, 467,
       "ERR-01-007"},
      {Reason::kHashNotAllowed, absl::StatusCode::kFailedPrecondition, 468, "ERR-01-008"},
      {Reason::kCvmNotFound, absl::StatusCode::kNotFound, 404, "ERR-03-001"},
      {Reason::kCvmAppIdConflict, absl::StatusCode::kAlreadyExists, 409, "ERR-03-007"},
      {Reason::kInvalidField, absl::StatusCode::kInvalidArgument, 400, "ERR-02-008"},
      {Reason::kDeviceNotAllowed, absl::StatusCode::kFailedPrecondition, 400, "DEVICE_NOT_ALLOWED"},
      {Reason::kStoreUnavailable, absl::StatusCode::kUnavailable, 503, "STORE_UNAVAILABLE"},
      {Reason::kOverloaded, absl::StatusCode::kResourceExhausted, 503, "OVERLOADED"},
  };
  for (const Case& c : cases) {
    // As a backend answers it (grpc::Status with ErrorInfo) and as the gateway raises it.
    const absl::Status s = WithReason(absl::Status(c.code, "backend said 10.0.0.9"), c.reason);
    for (const HttpResponse& r : {rest::Error(server::ToGrpcStatus(s)), rest::Error(s)}) {
      EXPECT_EQ(r.status, c.http) << ReasonName(c.reason);
      json detail = json::parse(r.body)["detail"];
      EXPECT_EQ(detail["error_code"], c.error_code) << ReasonName(c.reason);
      if (r.status >= 500) {
        EXPECT_THAT(r.body, Not(HasSubstr("10.0.0.9")));
      }
    }
  }
}

}  // namespace
}  // namespace chainkms::gateway
