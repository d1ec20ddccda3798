// PrepareTransaction without custody: turns policy calls into what an outside signer needs —
// unsigned EIP-1559 transactions, a Safe{Wallet} Transaction Builder batch (JSON the Safe web
// app's Transaction Builder imports), and OpenZeppelin TimelockController schedule/execute
// calldata with the operation id. Pure functions over plain structs: no RPC, no clock (the
// caller passes nonce, fees, gas and the creation time), no gRPC types in the core API.
//
//   std::vector<PreparedCall> calls = {{.to = app, .data = dstack_app::AddComposeHash(h),
//                                       .function_signature = std::string(sig::kAddComposeHash)}};
//   ASSIGN_OR_RETURN(UnsignedTx tx, BuildUnsignedTransaction(31337, calls[0],
//                                       {.nonce = 7, .gas_limit = 60000, .fees = fees}));
//   std::string json = SafeTransactionBuilderJson({.chain_id = 1, .safe = safe,
//                                                  .created_at_ms = now_ms}, calls);
//   ASSIGN_OR_RETURN(TimelockCalls tl, BuildTimelockCalls(calls, {.timelock = tl_addr,
//                                                                  .delay_seconds = 86400}));
//   // tl.schedule_data goes to tl.timelock now; tl.execute_data after the delay.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/bytes.h"
#include "lib/common/u256.h"
#include "lib/eth/transaction.h"

namespace chainkms::registry {

// One contract call with value 0 (every policy function is non-payable).
struct PreparedCall {
  Address to;
  Bytes data;                      // selector ‖ ABI-encoded arguments
  std::string function_signature;  // "addComposeHash(bytes32)"; informational
};

// What the caller suggests for one transaction (from eth_getTransactionCount(pending),
// eth_estimateGas and SuggestFees); zeros are passed through as "unknown".
struct TxSuggestion {
  uint64_t nonce = 0;
  uint64_t gas_limit = 0;
  TxFees fees;
};

// An unsigned EIP-1559 (type 2) transaction and what to sign.
struct UnsignedTx {
  uint64_t chain_id = 0;
  Address to;
  Bytes data;
  U256 value;  // always 0
  uint64_t nonce = 0;
  uint64_t gas_limit = 0;
  TxFees fees;
  std::string function_signature;
  Bytes signing_payload;  // 0x02 ‖ rlp([chain_id, nonce, tip, max_fee, gas, to, 0, data, []])
  Hash32 signing_hash;    // keccak256(signing_payload)

  Transaction ToTransaction() const;
};

// INVALID_ARGUMENT for chain id 0, empty calldata ("data") or a priority fee above the max fee.
absl::StatusOr<UnsignedTx> BuildUnsignedTransaction(uint64_t chain_id, const PreparedCall& call,
                                                    const TxSuggestion& suggestion);

// Meta data of a Safe Transaction Builder batch.
struct SafeBatchOptions {
  uint64_t chain_id = 0;
  std::optional<Address> safe;   // meta.createdFromSafeAddress ("" when unset)
  std::optional<Address> owner;  // meta.createdFromOwnerAddress ("" when unset)
  int64_t created_at_ms = 0;     // unix milliseconds
  std::string name = "chainkms policy batch";
  std::string description;
};

// The Transaction Builder version written into meta.txBuilderVersion.
inline constexpr char kTxBuilderVersion[] = "1.16.5";

// The batch JSON: {"version":"1.0","chainId":"<id>","createdAt":<ms>,"meta":{name, description,
// txBuilderVersion, createdFromSafeAddress, createdFromOwnerAddress, checksum},
// "transactions":[{to (EIP-55), value "0", data "0x…", contractMethod null,
// contractInputsValues null}]} with meta.checksum as SafeBatchChecksum computes it, so the app
// imports it without the "checksum mismatch" warning.
std::string SafeTransactionBuilderJson(const SafeBatchOptions& options,
                                       std::span<const PreparedCall> calls);

// The Transaction Builder's checksum (safe-react-apps tx-builder src/lib/checksum.ts):
// keccak256 over a canonical serialization of the batch with meta.name set to null and
// meta.checksum absent — objects as `{` + JSON array of the sorted keys + each value's
// serialization followed by "," + `}`, arrays as `[a,b]`, scalars as JSON.stringify.
// `batch_json` is the batch text; INVALID_ARGUMENT when it is not a JSON object with "meta".
absl::StatusOr<Hash32> SafeBatchChecksum(std::string_view batch_json);

// TimelockController operation parameters.
struct TimelockParams {
  Address timelock;
  uint64_t delay_seconds = 0;
  Hash32 salt;         // zero by default
  Hash32 predecessor;  // zero = none
};

struct TimelockCalls {
  Address timelock;
  Bytes schedule_data;  // schedule(...) for one call, scheduleBatch(...) for several
  Bytes execute_data;   // execute(...) / executeBatch(...)
  Hash32 operation_id;  // hashOperation / hashOperationBatch
};

namespace timelock_sig {
inline constexpr char kSchedule[] = "schedule(address,uint256,bytes,bytes32,bytes32,uint256)";
inline constexpr char kExecute[] = "execute(address,uint256,bytes,bytes32,bytes32)";
inline constexpr char kScheduleBatch[] =
    "scheduleBatch(address[],uint256[],bytes[],bytes32,bytes32,uint256)";
inline constexpr char kExecuteBatch[] = "executeBatch(address[],uint256[],bytes[],bytes32,bytes32)";
}  // namespace timelock_sig

// One call: schedule/execute and keccak256(abi.encode(target, 0, data, predecessor, salt));
// several: the batch forms and keccak256(abi.encode(targets, values, payloads, predecessor,
// salt)). INVALID_ARGUMENT when `calls` is empty.
absl::StatusOr<TimelockCalls> BuildTimelockCalls(std::span<const PreparedCall> calls,
                                                 const TimelockParams& params);

// Everything PrepareTransaction returns, for one request.
struct PrepareInput {
  uint64_t chain_id = 0;
  std::vector<PreparedCall> calls;
  // One per call (nonces already consecutive); empty = zeros everywhere.
  std::vector<TxSuggestion> suggestions;
  SafeBatchOptions safe_batch;  // chain_id is taken from `chain_id`
  std::optional<TimelockParams> timelock;
};

struct PrepareOutput {
  std::vector<UnsignedTx> transactions;  // one per call, the direct calls in order
  // The Safe batch: the direct calls, or with a timelock the one schedule call (the Safe as
  // proposer).
  std::string safe_transaction_builder_json;
  std::optional<TimelockCalls> timelock;
};

// INVALID_ARGUMENT for no calls, suggestions whose count is neither 0 nor the call count, or
// any error of the builders above.
absl::StatusOr<PrepareOutput> Prepare(const PrepareInput& input);

}  // namespace chainkms::registry
