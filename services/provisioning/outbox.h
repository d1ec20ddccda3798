// WebhookOutbox: the worker that delivers queued webhook events from the Store's outbox. Each
// round it claims due deliveries with a lease (a delivery is held by one replica at a time, so two
// replicas never both send one attempt), signs and POSTs each (lib/webhook), and records the
// outcome: delivered on 2xx; otherwise retried after 1 min, 10 min, 1 h (configurable) with the
// same event id and body, then failed. A restart loses nothing: what was not recorded as
// delivered is sent again once its lease runs out.
// Metrics (OutboxOptions::metrics, the server's registry): chainkms_webhook_deliveries_total
// {outcome=delivered|retry|failed} per attempt (all three exported from 0) and
// chainkms_webhook_delivery_seconds, the POST of one attempt.
//
//   WebhookOutbox outbox(store, clock, {.owner = "replica-a"});
//   outbox.Start();   // a background thread; Notify() wakes it after an event was queued
//   ...
//   outbox.Stop();
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"
#include "lib/server/logging.h"
#include "lib/webhook/deliver.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/provisioning/store.h"

namespace chainkms::provisioning {

struct OutboxOptions {
  // Delay before retry 1, 2, …; a delivery is failed once they are used up.
  std::vector<absl::Duration> retry_delays = {absl::Minutes(1), absl::Minutes(10), absl::Hours(1)};
  absl::Duration timeout = absl::Seconds(10);
  bool allow_private = false;
  // How often the worker looks for due deliveries when not woken.
  absl::Duration poll_interval = absl::Seconds(1);
  // How long a claim holds a delivery; longer than `timeout`.
  absl::Duration lease = absl::Seconds(60);
  // This replica's name in leases.
  std::string owner = "provisioning";
  int64_t batch = 16;
  // Where the delivery metrics are registered; null: kept, not exported.
  std::shared_ptr<prometheus::Registry> metrics;
};

// Parses "1m,10m,1h" (absl durations, comma-separated, each ≥ 0).
absl::StatusOr<std::vector<absl::Duration>> ParseRetryDelays(std::string_view text);

class WebhookOutbox {
 public:
  using Sender = std::function<webhook::DeliveryResult(const webhook::DeliveryRequest&,
                                                       const webhook::DeliveryOptions&)>;

  WebhookOutbox(ProvisioningStore& store, Clock& clock, OutboxOptions options,
                server::Logger* logger = nullptr, Sender sender = webhook::DeliverWebhook);
  ~WebhookOutbox();
  WebhookOutbox(const WebhookOutbox&) = delete;
  WebhookOutbox& operator=(const WebhookOutbox&) = delete;

  void Start();
  void Stop();
  // Wakes the worker now (an event was queued).
  void Notify();
  // One round: claims and attempts every due delivery; returns the attempts made.
  int RunOnce();

 private:
  void Loop();

  ProvisioningStore& store_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* delivered_;
  prometheus::Counter* retried_;
  prometheus::Counter* failed_;
  prometheus::Histogram* latency_;
  Clock& clock_;
  OutboxOptions options_;
  server::Logger* logger_;
  Sender sender_;
  chainkms::Mutex mu_;
  chainkms::CondVar cv_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace chainkms::provisioning
