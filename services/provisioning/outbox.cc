#include "services/provisioning/outbox.h"

#include <utility>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/webhook/sign.h"

namespace chainkms::provisioning {

absl::StatusOr<std::vector<absl::Duration>> ParseRetryDelays(std::string_view text) {
  std::vector<absl::Duration> out;
  for (absl::string_view part :
       absl::StrSplit(absl::string_view(text.data(), text.size()), ',', absl::SkipWhitespace())) {
    absl::Duration d;
    if (!absl::ParseDuration(absl::StripAsciiWhitespace(part), &d) || d < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", std::string(part), "\" is not a duration such as 1m or 10s"));
    }
    out.push_back(d);
  }
  if (out.size() > 20) return absl::InvalidArgumentError("at most 20 retries");
  return out;
}

WebhookOutbox::WebhookOutbox(ProvisioningStore& store, Clock& clock, OutboxOptions options,
                             server::Logger* logger, Sender sender)
    : store_(store),
      registry_(options.metrics ? options.metrics : std::make_shared<prometheus::Registry>()),
      clock_(clock),
      options_(std::move(options)),
      logger_(logger != nullptr ? logger : &server::Logger::Default()),
      sender_(std::move(sender)) {
  auto& attempts = prometheus::BuildCounter()
                       .Name("chainkms_webhook_deliveries_total")
                       .Help("Webhook delivery attempts by outcome (delivered, retry, failed)")
                       .Register(*registry_);
  delivered_ = &attempts.Add({{"outcome", "delivered"}});
  retried_ = &attempts.Add({{"outcome", "retry"}});
  failed_ = &attempts.Add({{"outcome", "failed"}});
  latency_ = &prometheus::BuildHistogram()
                  .Name("chainkms_webhook_delivery_seconds")
                  .Help("One webhook delivery attempt (the signed POST), any outcome")
                  .Register(*registry_)
                  .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1,
                                                                   0.25, 0.5, 1, 2.5, 5, 10, 30});
}

WebhookOutbox::~WebhookOutbox() { Stop(); }

void WebhookOutbox::Start() {
  if (thread_.joinable()) return;
  {
    chainkms::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void WebhookOutbox::Stop() {
  {
    chainkms::MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void WebhookOutbox::Notify() {
  chainkms::MutexLock lock(&mu_);
  wake_ = true;
  cv_.SignalAll();
}

void WebhookOutbox::Loop() {
  while (true) {
    RunOnce();
    chainkms::MutexLock lock(&mu_);
    const absl::Time deadline = absl::Now() + options_.poll_interval;
    while (!wake_ && !stop_) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      cv_.WaitWithTimeout(&mu_, left);
    }
    if (stop_) return;
    wake_ = false;
  }
}

int WebhookOutbox::RunOnce() {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  absl::StatusOr<std::vector<ClaimedDelivery>> claimed = store_.ClaimDueDeliveries(
      options_.owner, now, now + absl::ToInt64Seconds(options_.lease), options_.batch);
  if (!claimed.ok()) {
    logger_->Warn("webhook outbox: could not claim deliveries",
                  {{"error", claimed.status().ToString()}});
    return 0;
  }
  int attempts = 0;
  for (const ClaimedDelivery& c : *claimed) {
    const DeliveryRecord& d = c.delivery;
    const int64_t sent_at = absl::ToUnixSeconds(clock_.Now());
    const absl::Time started = absl::Now();  // wall time: the POST itself, not the test clock
    webhook::DeliveryResult r =
        sender_({.url = c.url,
                 .headers = webhook::SignedWebhookHeaders(c.secret, d.event_id, d.event, sent_at,
                                                          d.payload),
                 .body = d.payload},
                {.timeout = options_.timeout, .allow_private = options_.allow_private});
    ++attempts;
    latency_->Observe(absl::ToDoubleSeconds(absl::Now() - started));
    const int64_t done_at = absl::ToUnixSeconds(clock_.Now());
    int64_t next = 0;
    if (!r.ok() && static_cast<size_t>(d.attempts) < options_.retry_delays.size()) {
      next = done_at + absl::ToInt64Seconds(options_.retry_delays[d.attempts]);
    }
    (r.ok() ? delivered_ : next > 0 ? retried_ : failed_)->Increment();
    absl::Status s =
        store_.RecordAttempt(d.id, options_.owner, r.ok(), r.http_status, r.error, done_at, next);
    // The URL may carry a token of the receiver's; log the webhook id, never the URL or secret.
    server::LogFields fields = {{"webhook_id", d.webhook_id},
                                {"event_id", d.event_id},
                                {"event", d.event},
                                {"attempt", d.attempts + 1},
                                {"http_status", r.http_status}};
    if (!r.ok()) fields.emplace_back("error", r.error);
    if (!s.ok()) fields.emplace_back("record_error", s.ToString());
    if (r.ok()) {
      logger_->Info("webhook delivered", fields);
    } else {
      logger_->Warn(next > 0 ? "webhook delivery failed; will retry" : "webhook delivery failed",
                    fields);
    }
  }
  return attempts;
}

}  // namespace chainkms::provisioning
