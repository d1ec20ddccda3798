// Conversions between chainkms.v1 messages and lib types for the registry, with every size and
// format limit checked at the edge (INVALID_ARGUMENT, reason INVALID_FIELD naming the field)
// before anything reaches a chain.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "chainkms/v1/registry.pb.h"
#include "lib/chain/contracts.h"
#include "lib/chain/tx_manager.h"
#include "services/registry/prepare.h"

namespace chainkms::registry {

// Limits on what a request may carry (each far above any real value, far below what would
// cost the node).
inline constexpr size_t kMaxTcbStatusBytes = 64;
inline constexpr size_t kMaxAdvisoryIds = 64;
inline constexpr size_t kMaxAdvisoryIdBytes = 64;
inline constexpr size_t kMaxGatewayAppIdBytes = 64;
inline constexpr size_t kMaxCaPubkeyBytes = 1024;
inline constexpr size_t kMaxQuoteBytes = 64 * 1024;
inline constexpr size_t kMaxEventlogBytes = 256 * 1024;
inline constexpr size_t kMaxWatchContracts = 100;
inline constexpr size_t kMaxIdempotencyKeyBytes = 128;
// Timelock delays beyond this (100 years) are refused: schedule(uint256 delay) would accept
// them, but `ready_at` would overflow and nothing could ever run.
inline constexpr uint64_t kMaxTimelockDelaySeconds = 100ull * 365 * 24 * 3600;

absl::StatusOr<::chainkms::AppBootInfo> ToBootInfo(const chainkms::v1::AppBootInfo& in,
                                                   std::string_view field = "boot_info");

// KmsInfo for setKmsInfo: k256_pubkey a valid compressed secp256k1 key (33 bytes), ca_pubkey a
// DER SEQUENCE (SPKI) of at most kMaxCaPubkeyBytes, quote and eventlog bounded.
absl::StatusOr<::chainkms::KmsInfo> ToKmsInfo(const chainkms::v1::KmsInfo& in, std::string_view field);

// 1-64 bytes of printable ASCII.
absl::Status CheckGatewayAppId(const std::string& id, std::string_view field);

chainkms::v1::TransactionState ToProto(TxState s);
std::string_view StateLabel(chainkms::v1::TransactionState s);

// Sets the oneof of `out` for `e`; false for events the API does not carry.
bool SetEvent(const ContractEvent& e, chainkms::v1::WatchPolicyEventsResponse* out);

// One PolicyAction as a contract call. `f` prefixes field names in errors ("actions[0]").
absl::StatusOr<PreparedCall> ToCall(const chainkms::v1::PolicyAction& a, const std::string& f,
                                    const Address& kms, const std::optional<Address>& from);

}  // namespace chainkms::registry
