#include "lib/testing/grpc_health.h"

#include <future>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"

namespace chainkms::testutil {

int HealthStatus(int port, absl::Duration deadline) {
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  grpc::Slice empty("");  // HealthCheckRequest{} (service ""): zero bytes
  grpc::ByteBuffer req(&empty, 1);
  grpc::ByteBuffer resp;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &req, &resp,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  if (!done.get_future().get().ok()) return -1;
  std::vector<grpc::Slice> slices;
  (void)resp.Dump(&slices);
  std::string body;
  for (const auto& s : slices) body.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{1: status}: 0x08 <status>.
  if (body.size() == 2 && body[0] == 0x08) return body[1];
  return 0;
}

bool WaitForHealth(int port, int want, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (HealthStatus(port) == want) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return HealthStatus(port) == want;
}

}  // namespace chainkms::testutil
