// The KMS's own Prometheus series, registered on the server's registry next to the RPC, chain
// and process metrics every server has:
//   chainkms_kms_decisions_total{chain_id, outcome=issued|denied|error, reason}
//   chainkms_kms_boot_policy_seconds{chain_id}   the decision's chain read
//   chainkms_kms_derivation_seconds              deriving and sealing one app's keys
//   chainkms_kms_dev_attestations_total          dev attestations accepted (never on production)
//   chainkms_kms_audit_failures_total            audit lines that could not be written
//   chainkms_kms_chain_serving{chain_id}         1 once the startup check passed
// No label ever carries an app id, a key or a quote.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace chainkms::kms {

class KmsMetrics {
 public:
  // `registry` null: metrics are kept but not exported (tests).
  explicit KmsMetrics(std::shared_ptr<prometheus::Registry> registry);

  void RecordDecision(uint64_t chain_id, std::string_view outcome, std::string_view reason);
  void RecordBootPolicy(uint64_t chain_id, absl::Duration latency);
  void RecordDerivation(absl::Duration latency);
  void RecordDevAttestation();
  void RecordAuditFailure();
  void SetChainServing(uint64_t chain_id, bool serving);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* decisions_;
  prometheus::Family<prometheus::Histogram>* boot_policy_;
  prometheus::Histogram* derivation_;
  prometheus::Counter* dev_attestations_;
  prometheus::Counter* audit_failures_;
  prometheus::Family<prometheus::Gauge>* chain_serving_;
};

}  // namespace chainkms::kms
