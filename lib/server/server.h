// Runs gRPC services with the plumbing every chainkms server shares.
//
// GrpcServer binds the listen address (port 0 picks one; port() reports it), enables
// grpc.health.v1 and server reflection, serves Prometheus /metrics on its own port, and installs
// an interceptor that gives each RPC a request id (from `x-request-id` or generated, echoed back
// in the initial metadata), logs one JSON line per RPC, records RPC metrics and copies the
// ErrorInfo reason into the `chainkms-reason` trailer; a call cancelled before its status was
// sent is logged and counted CANCELLED, whatever the handler returned. SIGTERM/SIGINT trigger a
// graceful shutdown: server streams end at once with UNAVAILABLE / SHUTTING_DOWN, health turns
// NOT_SERVING, in-flight unary RPCs get the grace period to finish, then /metrics stops. An idle
// server therefore stops in milliseconds, well under a second, whatever --shutdown-grace is.
//
// Shedding: interceptors in gRPC 1.51 cannot answer an RPC themselves, so the concurrency limits
// are ConcurrencyLimiters that each handler enters first through Handle() (lib/server/handle.h):
// one for unary RPCs (--max-concurrent-rpcs) and one for server streams
// (--max-concurrent-streams), so idle streams never shed unary calls; health checks are never
// limited. A refused call gets RESOURCE_EXHAUSTED / OVERLOADED naming the limit it hit. Streams
// wait on the `stopping` notification, which Stop() fires first.
//
//   GrpcServer server({.config = config});
//   RegistryService registry(deps, server.serving());
//   server.AddService(&registry);
//   absl::Status s = server.Run();  // blocks until SIGTERM/SIGINT
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server.h"
#include "lib/common/status_macros.h"
#include "lib/common/sync.h"
#include "lib/server/config.h"
#include "lib/server/logging.h"
#include "lib/server/metrics.h"
#include "lib/server/status.h"

namespace chainkms::server {

// Counts RPCs in flight and refuses a permit beyond the limit. Thread-safe.
class ConcurrencyLimiter {
 public:
  enum class Kind { kUnary, kStreams };
  explicit ConcurrencyLimiter(int64_t max_in_flight, Kind kind = Kind::kUnary)
      : max_(max_in_flight), kind_(kind) {}

  // Holds one slot while alive; a default or refused permit holds nothing.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept : limiter_(std::exchange(other.limiter_, nullptr)) {}
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { Release(); }
    explicit operator bool() const { return limiter_ != nullptr; }

   private:
    friend class ConcurrencyLimiter;
    explicit Permit(ConcurrencyLimiter* limiter) : limiter_(limiter) {}
    void Release();
    ConcurrencyLimiter* limiter_ = nullptr;
  };

  // A held permit, or an empty one when max_in_flight are already in flight.
  Permit TryAcquire();
  int64_t in_flight() const { return in_flight_.load(); }
  int64_t max_in_flight() const { return max_; }
  Kind kind() const { return kind_; }

 private:
  const int64_t max_;
  const Kind kind_;
  std::atomic<int64_t> in_flight_{0};
};

// What a service adapter needs from the server it runs in. Pointers stay valid for the
// server's lifetime.
struct Serving {
  ConcurrencyLimiter* unary = nullptr;
  ConcurrencyLimiter* streams = nullptr;
  Metrics* metrics = nullptr;
  Logger* logger = nullptr;
  // Notified when Stop() begins; long-lived streams wait on it and end at once.
  const chainkms::Notification* stopping = nullptr;

  bool Stopping() const { return stopping != nullptr && stopping->HasBeenNotified(); }
};

// UNAVAILABLE reason SHUTTING_DOWN: what a stream ends with when the server stops.
absl::Status ShuttingDownError();

struct GrpcServerOptions {
  ServerConfig config;
  std::vector<grpc::Service*> services;  // not owned; must outlive the server
  Metrics* metrics = nullptr;            // nullptr: the server owns one
  Logger* logger = nullptr;              // nullptr: Logger::Default()
  // Health (grpc.health.v1, service "") reports SERVING once started when true; when false it
  // reports NOT_SERVING until SetReady(true) (a kms whose startup checks have not passed).
  bool start_ready = true;
};

class GrpcServer {
 public:
  explicit GrpcServer(GrpcServerOptions options);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Before Start(). Not owned.
  void AddService(grpc::Service* service);
  // Sized by config.max_concurrent_rpcs / max_concurrent_streams.
  ConcurrencyLimiter& limiter() { return limiter_; }
  ConcurrencyLimiter& stream_limiter() { return stream_limiter_; }
  // The limiters, metrics, logger and stop notice; hand it to services.
  Serving serving();
  Metrics& metrics() { return *metrics_; }

  // Binds, starts /metrics (unless config.metrics_listen is empty) and serves. Returns at once.
  absl::Status Start();
  // What health reports while serving: SERVING when true, NOT_SERVING when false. Any time,
  // from any thread (before Start it sets what Start reports); after Stop health stays
  // NOT_SERVING.
  void SetReady(bool ready);

  // The bound gRPC port and /metrics port (0 before Start or when disabled).
  int port() const { return port_; }
  int metrics_port() const { return metrics_->exposer_port(); }

  // Graceful stop: `stopping` fires (streams end with SHUTTING_DOWN), health NOT_SERVING, then
  // Shutdown with deadline now + shutdown_grace (RPCs still running then are cancelled), then
  // /metrics stops. Returns as soon as the last RPC ends. Idempotent.
  void Stop();

  // Start(), then block until SIGTERM/SIGINT or RequestShutdown(), then Stop(). Installs the
  // signal handlers for its duration.
  absl::Status Run();
  // Makes Run() stop the server; safe from any thread.
  void RequestShutdown();
  // True once Run() has started serving (tests that run Run() on a thread).
  bool WaitUntilServing(absl::Duration timeout) {
    return serving_.WaitForNotificationWithTimeout(timeout);
  }

 private:
  GrpcServerOptions options_;
  std::unique_ptr<Metrics> owned_metrics_;
  Metrics* metrics_;
  Logger* logger_;
  ConcurrencyLimiter limiter_;
  ConcurrencyLimiter stream_limiter_;
  chainkms::Notification stopping_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  chainkms::Notification serving_;
  chainkms::Notification shutdown_requested_;
  chainkms::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  bool ready_ ABSL_GUARDED_BY(stop_mu_) = true;
};

// server.Run() with the two seams services offer tests through their Deps: `on_serving` (may be
// empty) is called with the bound gRPC and metrics ports once serving, and `stop` (may be null),
// once notified, makes Run return as SIGTERM would.
absl::Status RunWithSeams(GrpcServer& server, const std::function<void(int, int)>& on_serving,
                          const chainkms::Notification* stop);

}  // namespace chainkms::server
