// The gateway's HTTP surface on arbitrary bytes: "<METHOD> <path>[?query]\n<header: value>\n…\n\n
// <body>" → RestApi::Handle (routing, API key admission, JSON field reads, hex checks, the 465 /
// error rendering, the confirm page) over mock backends that answer OK with empty messages, so
// every mapping runs on whatever the fuzzer invents. Never crashes; every answer is a known status
// with a body that never carries a 5xx backend message.
#include <cstdlib>
#include <string>

#include "chainkms/v1/kms_mock.grpc.pb.h"
#include "chainkms/v1/provisioning_mock.grpc.pb.h"
#include "chainkms/v1/registry_mock.grpc.pb.h"
#include "gmock/gmock.h"
#include "lib/crypto/hash.h"
#include "services/gateway/rest_api.h"

namespace {

using namespace chainkms;           // NOLINT(google-build-using-namespace)
using namespace chainkms::gateway;  // NOLINT(google-build-using-namespace)
namespace pb = ::chainkms::v1;
using ::testing::_;
using ::testing::NiceMock;

const std::string kKey = "ck_0123456789abcdef_" + std::string(64, 'a');

struct World {
  World() {
    auto admin = std::make_unique<NiceMock<pb::MockProvisioningAdminStub>>();
    ON_CALL(*admin, LookupApiKey(_, _, _))
        .WillByDefault([](grpc::ClientContext*, const pb::LookupApiKeyRequest&,
                          pb::LookupApiKeyResponse* resp) {
          const Hash32 h =
              Sha256(ByteView(reinterpret_cast<const uint8_t*>(kKey.data()), kKey.size()));
          resp->mutable_key()->set_workspace("ws-fuzz");
          resp->set_secret_sha256(std::string(h.bytes.begin(), h.bytes.end()));
          return grpc::Status::OK;
        });
    auto provisioning = std::make_unique<NiceMock<pb::MockProvisioningStub>>();
    auto registry = std::make_unique<NiceMock<pb::MockRegistryStub>>();
    auto kms = std::make_unique<NiceMock<pb::MockKmsStub>>();
    // The world lives for the whole run (never destroyed): its mocks verify nothing at exit.
    ::testing::Mock::AllowLeak(admin.get());
    ::testing::Mock::AllowLeak(provisioning.get());
    ::testing::Mock::AllowLeak(registry.get());
    ::testing::Mock::AllowLeak(kms.get());
    Backends::Stubs stubs{.provisioning = std::move(provisioning),
                          .admin = std::move(admin),
                          .registry = std::move(registry),
                          .kms = std::move(kms)};
    backends = std::make_unique<Backends>(std::move(stubs), absl::Seconds(1));
    auth = std::make_unique<ApiKeyAuthenticator>(backends->admin(), SystemClock::Get(),
                                                 absl::Seconds(10));
    limiter = std::make_unique<RateLimiter>(SystemClock::Get(), 0, 1);
    gateway = std::make_unique<Gateway>(*backends, *auth, *limiter, server::Serving{});
    rest = std::make_unique<RestApi>(*gateway, RestOptions{.cors_origins = {"https://a.example"}});
  }
  std::unique_ptr<Backends> backends;
  std::unique_ptr<ApiKeyAuthenticator> auth;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<RestApi> rest;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  const std::string in(reinterpret_cast<const char*>(data), size);
  HttpRequest req;
  size_t pos = in.find('\n');
  const std::string first = in.substr(0, pos);
  const size_t space = first.find(' ');
  req.method = first.substr(0, space);
  std::string target = space == std::string::npos ? "/" : first.substr(space + 1);
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  bool has_key = false;
  while (pos != std::string::npos && pos + 1 < in.size()) {
    const size_t next = in.find('\n', pos + 1);
    const std::string line =
        in.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
    pos = next;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (name == "x-api-key") has_key = true;
    req.headers.emplace_back(std::move(name), std::move(value));
  }
  if (pos != std::string::npos && pos + 1 <= in.size()) req.body = in.substr(pos + 1);
  if (!has_key) req.headers.emplace_back("x-api-key", kKey);
  req.remote = "127.0.0.1";
  HttpResponse r = world->rest->Handle(req);
  if (r.status < 200 || r.status > 599) std::abort();
  if (r.route.empty()) std::abort();
  return 0;
}
