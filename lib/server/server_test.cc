#include "lib/server/server.h"
#include "lib/server/handle.h"
#include "lib/testing/scrape_metrics.h"

#include <signal.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/method_handler.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "lib/common/sync.h"

namespace chainkms::server {
namespace {

using ::testing::HasSubstr;

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kBlock[] = "/chainkms.test.Test/Block";
constexpr char kHold[] = "/chainkms.test.Streams/Hold";

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  (void)buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// A test-only service without generated code: one unary method taking raw bytes, which holds
// a concurrency permit until released.
class BlockingService : public grpc::Service {
 public:
  explicit BlockingService(ConcurrencyLimiter* limiter) : limiter_(limiter) {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kBlock, grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::RpcMethodHandler<BlockingService, grpc::ByteBuffer, grpc::ByteBuffer>(
            [](BlockingService* self, grpc::ServerContext* ctx, const grpc::ByteBuffer* req,
               grpc::ByteBuffer* resp) { return self->Block(ctx, req, resp); },
            this)));
  }

  grpc::Status Block(grpc::ServerContext* ctx, const grpc::ByteBuffer*, grpc::ByteBuffer* resp) {
    return Handle(limiter_, [&] {
      {
        // Concurrent handlers write it (the shedding test runs two at once).
        MutexLock l(&mu_);
        last_request_id_ = RequestContext::FromServerContext(*ctx).request_id;
      }
      entered_.fetch_add(1);
      release_.WaitForNotificationWithTimeout(absl::Seconds(10));
      *resp = ToBuffer("done");
      return absl::OkStatus();
    });
  }

  ConcurrencyLimiter* limiter_;
  std::atomic<int> entered_{0};
  chainkms::Notification release_;
  std::string last_request_id() {
    MutexLock l(&mu_);
    return last_request_id_;
  }
  Mutex mu_;
  std::string last_request_id_ ABSL_GUARDED_BY(mu_);
};

// A test-only server-streaming method shaped like an idle event subscription: it sends "open",
// then holds its stream (and a stream permit) until the server stops or the client cancels.
class StreamingService : public grpc::Service {
 public:
  explicit StreamingService(Serving serving) : serving_(serving) {
    AddMethod(new grpc::internal::RpcServiceMethod(
        kHold, grpc::internal::RpcMethod::SERVER_STREAMING,
        new grpc::internal::ServerStreamingHandler<StreamingService, grpc::ByteBuffer,
                                                   grpc::ByteBuffer>(
            [](StreamingService* self, grpc::ServerContext* ctx, const grpc::ByteBuffer*,
               grpc::ServerWriter<grpc::ByteBuffer>* writer) { return self->Hold(ctx, writer); },
            this)));
  }

  grpc::Status Hold(grpc::ServerContext* ctx, grpc::ServerWriter<grpc::ByteBuffer>* writer) {
    return Handle(serving_.streams, [&] {
      if (!writer->Write(ToBuffer("open"))) return absl::OkStatus();
      // Bounded so that a broken test fails instead of hanging.
      const absl::Time give_up = absl::Now() + absl::Seconds(30);
      while (!ctx->IsCancelled() && absl::Now() < give_up) {
        if (serving_.stopping->WaitForNotificationWithTimeout(absl::Milliseconds(20))) {
          return ShuttingDownError();
        }
      }
      return absl::OkStatus();
    });
  }

 private:
  Serving serving_;
};

// A client of kHold. Open() returns once the server's first message arrived or the call failed.
struct HeldStream {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader;
  bool open = false;

  static std::unique_ptr<HeldStream> Open(const std::shared_ptr<grpc::Channel>& channel) {
    auto stream = std::make_unique<HeldStream>();
    stream->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    stream->reader.reset(grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(
        channel.get(),
        grpc::internal::RpcMethod(kHold, grpc::internal::RpcMethod::SERVER_STREAMING), &stream->ctx,
        ToBuffer("")));
    grpc::ByteBuffer first;
    stream->open = stream->reader->Read(&first) && FromBuffer(first) == "open";
    return stream;
  }

  // Reads to the end; the status and the `chainkms-reason` trailer.
  grpc::Status Finish(std::string* reason_trailer) {
    grpc::ByteBuffer more;
    while (reader->Read(&more)) {
    }
    grpc::Status status = reader->Finish();
    for (const auto& [k, v] : ctx.GetServerTrailingMetadata()) {
      if (k == "chainkms-reason") *reason_trailer = std::string(v.data(), v.size());
    }
    return status;
  }
};

std::shared_ptr<grpc::Channel> ChannelTo(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

struct CallResult {
  grpc::Status status;
  std::string response;
  std::multimap<grpc::string_ref, grpc::string_ref> trailers;
  std::multimap<grpc::string_ref, grpc::string_ref> initial;
  std::string reason_trailer;
  std::string request_id;
};

CallResult Call(int port, const std::string& method, const std::string& request,
                const std::string& request_id = "") {
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!request_id.empty()) ctx.AddMetadata("x-request-id", request_id);
  grpc::ByteBuffer req = ToBuffer(request);
  grpc::ByteBuffer resp;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  CallResult result;
  result.status = done.get_future().get();
  result.response = FromBuffer(resp);
  for (const auto& [k, v] : ctx.GetServerTrailingMetadata()) {
    if (k == "chainkms-reason") result.reason_trailer = std::string(v.data(), v.size());
  }
  for (const auto& [k, v] : ctx.GetServerInitialMetadata()) {
    if (k == "x-request-id") result.request_id = std::string(v.data(), v.size());
  }
  return result;
}

// grpc.health.v1.HealthCheckRequest{1: service}; the response's field 1 is the status enum
// (1 SERVING, 2 NOT_SERVING).
int HealthStatus(int port, grpc::Status* status = nullptr) {
  CallResult r = Call(port, kHealthCheck, "");
  if (status != nullptr) *status = r.status;
  if (!r.status.ok()) return -1;
  if (r.response.size() == 2 && r.response[0] == 0x08) return r.response[1];
  return r.response.empty() ? 0 : -2;
}

std::string Scrape(int port) {
  absl::StatusOr<std::string> text = testutil::ScrapeMetrics(port);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : std::string();
}

class GrpcServerTest : public ::testing::Test {
 protected:
  GrpcServerTest()
      : logger_([this](std::string_view line) {
          chainkms::MutexLock lock(&mu_);
          lines_.emplace_back(line);
        }) {}

  std::vector<std::string> Lines() {
    chainkms::MutexLock lock(&mu_);
    return lines_;
  }

  chainkms::Mutex mu_;
  std::vector<std::string> lines_;
  Logger logger_;
};

TEST_F(GrpcServerTest, StartsOnPortZeroAndHealthAnswersServing) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_});
  ASSERT_TRUE(server.Start().ok());
  EXPECT_GT(server.port(), 0);
  EXPECT_GT(server.metrics_port(), 0);
  EXPECT_NE(server.port(), server.metrics_port());
  EXPECT_EQ(HealthStatus(server.port()), 1);
  server.Stop();
}

TEST_F(GrpcServerTest, HealthIsNotServingUntilReadyWhenStartedNotReady) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_, .start_ready = false});
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(HealthStatus(server.port()), 2);  // NOT_SERVING
  server.SetReady(true);
  EXPECT_EQ(HealthStatus(server.port()), 1);
  server.SetReady(false);
  EXPECT_EQ(HealthStatus(server.port()), 2);
  server.Stop();
}

TEST_F(GrpcServerTest, MetricsEndpointCountsTheHealthRpcByMethodAndCode) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_});
  ASSERT_TRUE(server.Start().ok());
  ASSERT_EQ(HealthStatus(server.port()), 1);
  std::string text = Scrape(server.metrics_port());
  EXPECT_THAT(text, HasSubstr("chainkms_rpc_requests_total{code=\"OK\",method=\"/"
                              "grpc.health.v1.Health/Check\"} 1"));
  EXPECT_THAT(text, HasSubstr("chainkms_rpc_latency_seconds_bucket{code=\"OK\",method=\"/"
                              "grpc.health.v1.Health/Check\""));
  server.Stop();
}

TEST_F(GrpcServerTest, EachRpcIsLoggedAsJsonWithTheClientsRequestIdEchoedBack) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_});
  ASSERT_TRUE(server.Start().ok());
  CallResult r = Call(server.port(), kHealthCheck, "", "client-req-7");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.request_id, "client-req-7");
  server.Stop();
  bool found = false;
  for (const std::string& line : Lines()) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (j["msg"] == "rpc") {
      found = true;
      EXPECT_EQ(j["request_id"], "client-req-7");
      EXPECT_EQ(j["method"], kHealthCheck);
      EXPECT_EQ(j["code"], "OK");
      EXPECT_TRUE(j.contains("latency_ms"));
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(GrpcServerTest, InvalidIncomingRequestIdIsReplacedAndHandlerSeesTheSameId) {
  ServerConfig config = TestServerConfig();
  GrpcServer server({.config = config, .logger = &logger_});
  BlockingService service(&server.limiter());
  service.release_.Notify();
  server.AddService(&service);
  ASSERT_TRUE(server.Start().ok());
  CallResult r = Call(server.port(), kBlock, "x", "bad id with spaces");
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.request_id.size(), 16u);
  EXPECT_EQ(service.last_request_id(), r.request_id);
  server.Stop();
}

TEST_F(GrpcServerTest, RpcsBeyondTheConcurrencyLimitAreShedWithResourceExhaustedAndReason) {
  ServerConfig config = TestServerConfig();
  config.max_concurrent_rpcs = 2;
  GrpcServer server({.config = config, .logger = &logger_});
  BlockingService service(&server.limiter());
  server.AddService(&service);
  ASSERT_TRUE(server.Start().ok());
  int port = server.port();

  auto first = std::async(std::launch::async, [&] { return Call(port, kBlock, "a"); });
  auto second = std::async(std::launch::async, [&] { return Call(port, kBlock, "b"); });
  for (int i = 0; i < 500 && service.entered_.load() < 2; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(service.entered_.load(), 2);

  CallResult shed = Call(port, kBlock, "c");
  EXPECT_EQ(shed.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReasonOf(shed.status), "OVERLOADED");
  EXPECT_EQ(shed.reason_trailer, "OVERLOADED");

  service.release_.Notify();
  EXPECT_TRUE(first.get().status.ok());
  EXPECT_TRUE(second.get().status.ok());
  EXPECT_EQ(server.limiter().in_flight(), 0);
  EXPECT_THAT(server.metrics().Serialize(),
              HasSubstr("chainkms_rpc_requests_total{code=\"RESOURCE_EXHAUSTED\",method=\"/"
                        "chainkms.test.Test/Block\"} 1"));
  server.Stop();
}

TEST_F(GrpcServerTest, StopLetsAnInFlightRpcFinishThenRefusesNewOnes) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_});
  BlockingService service(&server.limiter());
  server.AddService(&service);
  ASSERT_TRUE(server.Start().ok());
  int port = server.port();
  auto in_flight = std::async(std::launch::async, [&] { return Call(port, kBlock, "a"); });
  for (int i = 0; i < 500 && service.entered_.load() < 1; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  // The RPC finishes only once Stop() has begun (its stop notice fired), so Stop must wait for it.
  const chainkms::Notification* stopping = server.serving().stopping;
  std::thread releaser([&] {
    stopping->WaitForNotification();
    service.release_.Notify();
  });
  server.Stop();  // waits up to the 2 s grace for the in-flight RPC
  releaser.join();
  CallResult r = in_flight.get();
  EXPECT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.response, "done");
  grpc::Status after;
  EXPECT_EQ(HealthStatus(port, &after), -1);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(GrpcServerTest, SigtermMakesRunShutDownGracefullyAndReturnOk) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_});
  std::promise<absl::Status> run_status;
  std::thread runner([&] { run_status.set_value(server.Run()); });
  ASSERT_TRUE(server.WaitUntilServing(absl::Seconds(10)));
  EXPECT_EQ(HealthStatus(server.port()), 1);
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  runner.join();
  EXPECT_TRUE(run_status.get_future().get().ok());
  bool saw_signal = false;
  bool saw_stopped = false;
  for (const std::string& line : Lines()) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (j["msg"] == "signal received") saw_signal = j["signal"] == SIGTERM;
    if (j["msg"] == "stopped") saw_stopped = true;
  }
  EXPECT_TRUE(saw_signal);
  EXPECT_TRUE(saw_stopped);
}

TEST_F(GrpcServerTest, RequestShutdownStopsRunWithoutASignal) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_});
  std::thread runner([&] { EXPECT_TRUE(server.Run().ok()); });
  ASSERT_TRUE(server.WaitUntilServing(absl::Seconds(10)));
  server.RequestShutdown();
  runner.join();
}

TEST_F(GrpcServerTest, BadListenAddressFailsStartWithAClearError) {
  ServerConfig config = TestServerConfig();
  config.listen = "abc";
  GrpcServer server({.config = config, .logger = &logger_});
  absl::Status status = server.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "listen address \"abc\" is not host:port");
}

TEST_F(GrpcServerTest, IdleStreamsAtTheStreamLimitShedStreamsButNeverUnaryRpcsOrHealth) {
  ServerConfig config = TestServerConfig();
  config.max_concurrent_streams = 4;
  config.max_concurrent_rpcs = 2;
  GrpcServer server({.config = config, .logger = &logger_});
  StreamingService streams(server.serving());
  BlockingService unary(&server.limiter());
  unary.release_.Notify();
  server.AddService(&streams);
  server.AddService(&unary);
  ASSERT_TRUE(server.Start().ok());
  auto channel = ChannelTo(server.port());
  std::vector<std::unique_ptr<HeldStream>> held;
  // Held streams end with the server, even when an assertion returns early.
  absl::Cleanup stop = [&] { server.Stop(); };

  for (int i = 0; i < config.max_concurrent_streams; ++i) {
    held.push_back(HeldStream::Open(channel));
    ASSERT_TRUE(held.back()->open) << "stream " << i;
  }
  EXPECT_EQ(server.stream_limiter().in_flight(), config.max_concurrent_streams);

  std::unique_ptr<HeldStream> extra = HeldStream::Open(channel);
  EXPECT_FALSE(extra->open);
  std::string reason;
  grpc::Status shed = extra->Finish(&reason);
  EXPECT_EQ(shed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ReasonOf(shed), "OVERLOADED");
  EXPECT_EQ(reason, "OVERLOADED");
  EXPECT_THAT(shed.error_message(), HasSubstr("concurrent stream limit"));

  // More unary calls than the unary limit, one after another: none competes with the streams.
  for (int i = 0; i < 2 * config.max_concurrent_rpcs; ++i) {
    CallResult r = Call(server.port(), kBlock, "x");
    EXPECT_TRUE(r.status.ok()) << r.status.error_message();
    EXPECT_EQ(r.response, "done");
  }
  grpc::Status health;
  EXPECT_EQ(HealthStatus(server.port(), &health), 1) << health.error_message();
  EXPECT_EQ(server.limiter().in_flight(), 0);
  EXPECT_EQ(server.stream_limiter().in_flight(), config.max_concurrent_streams);
}

TEST_F(GrpcServerTest, StopEndsAnOpenStreamAtOnceWithShuttingDownAndLogsItsCode) {
  ServerConfig config = TestServerConfig();
  config.shutdown_grace = absl::Seconds(10);
  GrpcServer server({.config = config, .logger = &logger_});
  StreamingService streams(server.serving());
  server.AddService(&streams);
  ASSERT_TRUE(server.Start().ok());
  ASSERT_GT(server.metrics_port(), 0);
  std::unique_ptr<HeldStream> stream = HeldStream::Open(ChannelTo(server.port()));
  ASSERT_TRUE(stream->open);

  const absl::Time start = absl::Now();
  server.Stop();
  const absl::Duration took = absl::Now() - start;
  RecordProperty("stop_ms", static_cast<int>(absl::ToInt64Milliseconds(took)));
  EXPECT_LT(took, absl::Seconds(1)) << "grace is " << config.shutdown_grace;

  std::string reason;
  grpc::Status ended = stream->Finish(&reason);
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  EXPECT_EQ(ReasonOf(ended), "SHUTTING_DOWN");
  EXPECT_EQ(reason, "SHUTTING_DOWN");
  EXPECT_EQ(server.stream_limiter().in_flight(), 0);

  int logged = 0;
  for (const std::string& line : Lines()) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (j["msg"] != "rpc" || j["method"] != kHold) continue;
    ++logged;
    EXPECT_EQ(j["code"], "UNAVAILABLE");
    EXPECT_EQ(j["reason"], "SHUTTING_DOWN");
  }
  EXPECT_EQ(logged, 1);
  EXPECT_THAT(server.metrics().Serialize(),
              HasSubstr("chainkms_rpc_requests_total{code=\"UNAVAILABLE\",method=\"/"
                        "chainkms.test.Streams/Hold\"} 1"));
}

TEST_F(GrpcServerTest, RequestShutdownWithAStreamOpenReturnsFromRunWellWithinTheGrace) {
  ServerConfig config = TestServerConfig();
  config.shutdown_grace = absl::Seconds(10);
  GrpcServer server({.config = config, .logger = &logger_});
  StreamingService streams(server.serving());
  server.AddService(&streams);
  std::promise<absl::Status> run_status;
  std::thread runner([&] { run_status.set_value(server.Run()); });
  absl::Cleanup join = [&] {
    server.RequestShutdown();
    if (runner.joinable()) runner.join();
  };
  ASSERT_TRUE(server.WaitUntilServing(absl::Seconds(10)));
  std::unique_ptr<HeldStream> stream = HeldStream::Open(ChannelTo(server.port()));
  ASSERT_TRUE(stream->open);

  const absl::Time start = absl::Now();
  server.RequestShutdown();
  runner.join();
  const absl::Duration took = absl::Now() - start;
  RecordProperty("stop_ms", static_cast<int>(absl::ToInt64Milliseconds(took)));
  EXPECT_LT(took, absl::Seconds(1)) << "grace is " << config.shutdown_grace;
  EXPECT_TRUE(run_status.get_future().get().ok());

  std::string reason;
  grpc::Status ended = stream->Finish(&reason);
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE) << ended.error_message();
  EXPECT_EQ(ReasonOf(ended), "SHUTTING_DOWN");
}

TEST_F(GrpcServerTest, AStreamTheClientCancelledIsLoggedCancelledNotTheHandlersOk) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_});
  StreamingService streams(server.serving());
  server.AddService(&streams);
  ASSERT_TRUE(server.Start().ok());
  absl::Cleanup stop = [&] { server.Stop(); };
  std::unique_ptr<HeldStream> stream = HeldStream::Open(ChannelTo(server.port()));
  ASSERT_TRUE(stream->open);
  stream->ctx.TryCancel();
  std::string reason;
  EXPECT_EQ(stream->Finish(&reason).error_code(), grpc::StatusCode::CANCELLED);

  // The handler notices the cancellation on its own thread; wait for its line, bounded.
  std::string code;
  for (absl::Time give_up = absl::Now() + absl::Seconds(10); code.empty();) {
    for (const std::string& line : Lines()) {
      nlohmann::json j = nlohmann::json::parse(line);
      if (j["msg"] == "rpc" && j["method"] == kHold) code = j["code"];
    }
    if (code.empty()) {
      ASSERT_LT(absl::Now(), give_up) << "no rpc line for the cancelled stream";
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  EXPECT_EQ(code, "CANCELLED");
}

TEST_F(GrpcServerTest, IdleServerWithMetricsStopsWellUnderASecond) {
  GrpcServer server({.config = TestServerConfig(), .logger = &logger_});
  ASSERT_TRUE(server.Start().ok());
  const int metrics_port = server.metrics_port();
  ASSERT_GT(metrics_port, 0);
  // A scrape first, so the exposer's worker has served a connection before it is stopped.
  EXPECT_THAT(Scrape(metrics_port), HasSubstr("chainkms_rpc_in_flight"));

  const absl::Time start = absl::Now();
  server.Stop();
  const absl::Duration took = absl::Now() - start;
  RecordProperty("stop_ms", static_cast<int>(absl::ToInt64Milliseconds(took)));
  EXPECT_LT(took, absl::Seconds(1));
  EXPECT_EQ(server.metrics_port(), 0);
}

TEST(ConcurrencyLimiterTest, PermitsAreCountedAndReleasedOnDestruction) {
  ConcurrencyLimiter limiter(1);
  {
    ConcurrencyLimiter::Permit a = limiter.TryAcquire();
    EXPECT_TRUE(a);
    EXPECT_FALSE(limiter.TryAcquire());
    ConcurrencyLimiter::Permit moved = std::move(a);
    EXPECT_EQ(limiter.in_flight(), 1);
  }
  EXPECT_EQ(limiter.in_flight(), 0);
  EXPECT_TRUE(limiter.TryAcquire());
}

}  // namespace
}  // namespace chainkms::server
