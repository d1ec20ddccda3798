#include "services/kms/kms_metrics.h"

#include <string>

namespace chainkms::kms {
namespace {

const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
  return *b;
}

}  // namespace

KmsMetrics::KmsMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(registry ? std::move(registry) : std::make_shared<prometheus::Registry>()) {
  decisions_ = &prometheus::BuildCounter()
                    .Name("chainkms_kms_decisions_total")
                    .Help("GetAppKey outcomes by chain, outcome (issued, denied, error) and reason")
                    .Register(*registry_);
  boot_policy_ = &prometheus::BuildHistogram()
                      .Name("chainkms_kms_boot_policy_seconds")
                      .Help("Latency of the boot decision (DstackKms.isAppAllowed read) by chain")
                      .Register(*registry_);
  derivation_ = &prometheus::BuildHistogram()
                     .Name("chainkms_kms_derivation_seconds")
                     .Help("Deriving and sealing one app's keys")
                     .Register(*registry_)
                     .Add({}, Buckets());
  dev_attestations_ = &prometheus::BuildCounter()
                           .Name("chainkms_kms_dev_attestations_total")
                           .Help("Dev attestations accepted (--insecure-dev-attestation)")
                           .Register(*registry_)
                           .Add({});
  audit_failures_ = &prometheus::BuildCounter()
                         .Name("chainkms_kms_audit_failures_total")
                         .Help("Audit lines that could not be written")
                         .Register(*registry_)
                         .Add({});
  chain_serving_ =
      &prometheus::BuildGauge()
           .Name("chainkms_kms_chain_serving")
           .Help("1 once the chain's startup check (kmsInfo matches the root keys) passed")
           .Register(*registry_);
}

void KmsMetrics::RecordDecision(uint64_t chain_id, std::string_view outcome,
                                std::string_view reason) {
  decisions_
      ->Add({{"chain_id", std::to_string(chain_id)},
             {"outcome", std::string(outcome)},
             {"reason", std::string(reason)}})
      .Increment();
}

void KmsMetrics::RecordBootPolicy(uint64_t chain_id, absl::Duration latency) {
  boot_policy_->Add({{"chain_id", std::to_string(chain_id)}}, Buckets())
      .Observe(absl::ToDoubleSeconds(latency));
}

void KmsMetrics::RecordDerivation(absl::Duration latency) {
  derivation_->Observe(absl::ToDoubleSeconds(latency));
}

void KmsMetrics::RecordDevAttestation() { dev_attestations_->Increment(); }
void KmsMetrics::RecordAuditFailure() { audit_failures_->Increment(); }

void KmsMetrics::SetChainServing(uint64_t chain_id, bool serving) {
  chain_serving_->Add({{"chain_id", std::to_string(chain_id)}}).Set(serving ? 1 : 0);
}

}  // namespace chainkms::kms
