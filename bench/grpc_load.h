// gRPC load helpers shared by the load generators (registry_load.cc, kms_load.cc): client
// channels, a closed-loop QPS measurement of one unary method with raw bytes, and the bare
// grpc::Server baseline (default health service only: no interceptor, metrics or reflection).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/load_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/impl/codegen/client_unary_call.h"
#include "grpcpp/impl/codegen/rpc_method.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/slice.h"

namespace chainkms::bench {

inline constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

inline std::shared_ptr<grpc::Channel> NewChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per client thread
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

// `threads` clients, each on its own connection, calling `method` back to back with the
// serialized request `payload` for `seconds`. Returns completed OK calls per second; any failed
// call ends the run (`program` names it).
inline double UnaryQps(std::string_view program, int port, const char* method,
                       const std::string& payload, int threads, double seconds) {
  using Clock = std::chrono::steady_clock;
  const grpc::internal::RpcMethod rpc(method, grpc::internal::RpcMethod::NORMAL_RPC);
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int t = 0; t < threads; ++t) channels.push_back(NewChannel(port));
  auto call = [&](grpc::Channel* ch) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    // A message must be a ByteBuffer holding a slice, even an empty one.
    grpc::Slice slice(payload);
    grpc::ByteBuffer req(&slice, 1), resp;
    return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(ch, rpc, &ctx, req,
                                                                                 &resp)
        .ok();
  };
  for (auto& ch : channels) {  // connect and warm up
    for (int i = 0; i < 50; ++i) {
      if (!call(ch.get())) Die(program, absl::UnavailableError(method), "warm-up call failed");
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, failed{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      int64_t n = 0, f = 0;
      while (!stop.load(std::memory_order_relaxed)) (call(channels[t].get()) ? n : f)++;
      ok += n;
      failed += f;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed > 0) {
    Die(program, absl::InternalError(absl::StrCat(failed.load(), " failed")), method);
  }
  return static_cast<double>(ok.load()) / elapsed;
}

// The baseline: a bare grpc::Server with the default health service only, Health/Check QPS.
inline double BareHealthQps(std::string_view program, int threads, double seconds) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> srv = builder.BuildAndStart();
  if (srv == nullptr || port == 0) {
    Die(program, absl::UnavailableError("bare server"), "start bare server");
  }
  srv->GetHealthCheckService()->SetServingStatus(true);
  const double qps = UnaryQps(program, port, kHealthCheck, "", threads, seconds);
  srv->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return qps;
}

}  // namespace chainkms::bench
