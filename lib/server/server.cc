#include "lib/server/server.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_interceptor.h"

namespace chainkms::server {

ConcurrencyLimiter::Permit& ConcurrencyLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    Release();
    limiter_ = std::exchange(other.limiter_, nullptr);
  }
  return *this;
}

void ConcurrencyLimiter::Permit::Release() {
  if (limiter_ != nullptr) limiter_->in_flight_.fetch_sub(1);
  limiter_ = nullptr;
}

ConcurrencyLimiter::Permit ConcurrencyLimiter::TryAcquire() {
  int64_t current = in_flight_.load();
  while (current < max_) {
    if (in_flight_.compare_exchange_weak(current, current + 1)) return Permit(this);
  }
  return Permit();
}

namespace {

using grpc::experimental::InterceptionHookPoints;

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(static_cast<int>(code)));
}

// One per RPC: request id, one log line, metrics, and the reason trailer.
class RpcInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(grpc::experimental::ServerRpcInfo* info, Metrics* metrics, Logger* logger)
      : metrics_(metrics), logger_(logger), context_(info->server_context()), start_(absl::Now()) {
    request_.method = info->method() != nullptr ? info->method() : "";
    metrics_->RpcStarted();
  }

  ~RpcInterceptor() override {
    if (!finished_) metrics_->RpcFinished();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      AdoptRequestId(methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      EnsureRequestId();
      auto* metadata = methods->GetSendInitialMetadata();
      if (metadata != nullptr) {
        metadata->emplace(std::string(kRequestIdMetadataKey), request_.request_id);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods);
    }
    methods->Proceed();
  }

 private:
  void EnsureRequestId() {
    if (request_.request_id.empty()) request_.request_id = RequestContext::NewRequestId();
  }

  // Keeps a valid incoming id; otherwise replaces it so the handler's
  // RequestContext::FromServerContext sees the same id the interceptor logs.
  void AdoptRequestId(std::multimap<grpc::string_ref, grpc::string_ref>* metadata) {
    if (metadata == nullptr) {
      EnsureRequestId();
      return;
    }
    grpc::string_ref key(kRequestIdMetadataKey.data(), kRequestIdMetadataKey.size());
    auto it = metadata->find(key);
    if (it != metadata->end()) {
      std::string_view id(it->second.data(), it->second.size());
      if (RequestContext::IsValidRequestId(id)) {
        request_.request_id = std::string(id);
        return;
      }
      metadata->erase(key);
    }
    EnsureRequestId();
    // The strings live in this interceptor, which lives as long as the call.
    metadata->emplace(key, grpc::string_ref(request_.request_id));
  }

  void Finish(grpc::experimental::InterceptorBatchMethods* methods) {
    EnsureRequestId();
    grpc::Status status = methods->GetSendStatus();
    // A cancelled call's status never reaches the client (it saw CANCELLED or its deadline), so
    // a handler's OK after it would be a false line in the log and the metrics.
    if (status.ok() && context_ != nullptr && context_->IsCancelled()) {
      status = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before the status was sent");
    }
    std::string code = CodeName(status.error_code());
    LogFields fields;
    if (std::optional<std::string> reason = ReasonOf(status); reason.has_value()) {
      auto* trailers = methods->GetSendTrailingMetadata();
      if (trailers != nullptr) trailers->emplace(std::string(kReasonMetadataKey), *reason);
      fields.emplace_back("reason", *reason);
    }
    if (!status.ok()) fields.emplace_back("error", status.error_message());
    absl::Duration latency = absl::Now() - start_;
    metrics_->RecordRpc(request_.method, code, latency);
    metrics_->RpcFinished();
    finished_ = true;
    logger_->LogRpc(request_, code, latency, fields);
  }

  Metrics* metrics_;
  Logger* logger_;
  grpc::ServerContextBase* context_;
  absl::Time start_;
  RequestContext request_;
  bool finished_ = false;
};

class RpcInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RpcInterceptorFactory(Metrics* metrics, Logger* logger) : metrics_(metrics), logger_(logger) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcInterceptor(info, metrics_, logger_);
  }

 private:
  Metrics* metrics_;
  Logger* logger_;
};

// Self-pipe: the handler only writes the signal number; a thread turns it into a shutdown.
std::atomic<int> g_signal_pipe_write{-1};

void OnSignal(int signal) {
  int fd = g_signal_pipe_write.load();
  if (fd >= 0) {
    auto byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] ssize_t n = write(fd, &byte, 1);
  }
}

}  // namespace

GrpcServer::GrpcServer(GrpcServerOptions options)
    : options_(std::move(options)),
      owned_metrics_(options_.metrics == nullptr ? std::make_unique<Metrics>() : nullptr),
      metrics_(options_.metrics != nullptr ? options_.metrics : owned_metrics_.get()),
      logger_(options_.logger != nullptr ? options_.logger : &Logger::Default()),
      limiter_(options_.config.max_concurrent_rpcs),
      stream_limiter_(options_.config.max_concurrent_streams, ConcurrencyLimiter::Kind::kStreams),
      ready_(options_.start_ready) {}

Serving GrpcServer::serving() {
  return Serving{.unary = &limiter_,
                 .streams = &stream_limiter_,
                 .metrics = metrics_,
                 .logger = logger_,
                 .stopping = &stopping_};
}

absl::Status ShuttingDownError() {
  return WithReason(absl::UnavailableError("the server is shutting down; retry on another replica"),
                    Reason::kShuttingDown);
}

GrpcServer::~GrpcServer() { Stop(); }

void GrpcServer::AddService(grpc::Service* service) { options_.services.push_back(service); }

absl::Status GrpcServer::Start() {
  if (server_ != nullptr) return absl::FailedPreconditionError("server already started");
  const ServerConfig& config = options_.config;
  if (absl::StatusOr<LogLevel> level = ParseLogLevel(config.log_level); level.ok()) {
    logger_->SetLevel(*level);
  } else {
    return level.status();
  }
  if (absl::StatusOr<std::pair<std::string, int>> hp = SplitHostPort(config.listen); !hp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", config.listen, "\" ", hp.status().message()));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Loopback or behind a TLS-terminating proxy; TLS for the listener is a later issue.
  builder.AddListeningPort(config.listen, grpc::InsecureServerCredentials(), &port_);
  for (grpc::Service* service : options_.services) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<RpcInterceptorFactory>(metrics_, logger_));
  builder.experimental().SetInterceptorCreators(std::move(factories));

  if (!config.metrics_listen.empty())
    RETURN_IF_ERROR(metrics_->StartExposer(config.metrics_listen));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    metrics_->StopExposer();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen));
  }
  {
    chainkms::MutexLock lock(&stop_mu_);
    server_->GetHealthCheckService()->SetServingStatus(ready_);
  }
  logger_->Info("serving", {{"port", port_},
                            {"metrics_port", metrics_->exposer_port()},
                            {"max_concurrent_rpcs", config.max_concurrent_rpcs},
                            {"max_concurrent_streams", config.max_concurrent_streams}});
  return absl::OkStatus();
}

void GrpcServer::Stop() {
  chainkms::MutexLock lock(&stop_mu_);
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  // Streams end now (they wait on this); unary RPCs get the grace period.
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  // Load balancers stop routing here before connections close.
  server_->GetHealthCheckService()->SetServingStatus(false);
  logger_->Info("shutting down",
                {{"grace_ms", absl::ToInt64Milliseconds(options_.config.shutdown_grace)}});
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.config.shutdown_grace));
  server_->Wait();
  metrics_->StopExposer();
  logger_->Info("stopped");
}

void GrpcServer::SetReady(bool ready) {
  chainkms::MutexLock lock(&stop_mu_);
  ready_ = ready;
  if (server_ != nullptr && !stopped_) server_->GetHealthCheckService()->SetServingStatus(ready);
}

void GrpcServer::RequestShutdown() {
  if (!shutdown_requested_.HasBeenNotified()) shutdown_requested_.Notify();
}

absl::Status GrpcServer::Run() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return absl::InternalError("pipe2 failed");
  int expected = -1;
  if (!g_signal_pipe_write.compare_exchange_strong(expected, fds[1])) {
    close(fds[0]);
    close(fds[1]);
    return absl::FailedPreconditionError("another GrpcServer::Run is handling signals");
  }
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_term = {};
  struct sigaction old_int = {};
  sigaction(SIGTERM, &action, &old_term);
  sigaction(SIGINT, &action, &old_int);

  std::atomic<bool> run_done{false};
  std::thread watcher([this, read_fd = fds[0], &run_done] {
    while (!run_done.load()) {
      pollfd p = {.fd = read_fd, .events = POLLIN};
      if (poll(&p, 1, -1) > 0) {
        unsigned char signal = 0;
        if (read(read_fd, &signal, 1) == 1 && !run_done.load()) {
          logger_->Info("signal received", {{"signal", static_cast<int>(signal)}});
          RequestShutdown();
        }
      }
    }
  });

  absl::Status status = Start();
  if (status.ok()) {
    serving_.Notify();
    shutdown_requested_.WaitForNotification();
    Stop();
  }

  // Wakes the watcher at once instead of leaving it to a poll timeout.
  run_done.store(true);
  const unsigned char wake = 0;
  [[maybe_unused]] ssize_t n = write(fds[1], &wake, 1);
  watcher.join();
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGINT, &old_int, nullptr);
  g_signal_pipe_write.store(-1);
  close(fds[0]);
  close(fds[1]);
  return status;
}

absl::Status RunWithSeams(GrpcServer& server, const std::function<void(int, int)>& on_serving,
                          const chainkms::Notification* stop) {
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    bool announced = false;
    while (!finished.load()) {
      if (!announced && server.WaitUntilServing(absl::Milliseconds(20))) {
        announced = true;
        if (on_serving) on_serving(server.port(), server.metrics_port());
      }
      if (stop != nullptr && stop->WaitForNotificationWithTimeout(absl::Milliseconds(20))) {
        server.RequestShutdown();
        break;
      }
      if (stop == nullptr && announced) break;
    }
  });
  absl::Status status = server.Run();
  finished.store(true);
  watcher.join();
  return status;
}

}  // namespace chainkms::server
