#include "services/registry/prepare.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/abi.h"
#include "lib/eth/address.h"
#include "lib/eth/rlp.h"
#include "nlohmann/json.hpp"

namespace chainkms::registry {
namespace {

// JSON.stringify of a scalar or of an array of strings; replaces invalid UTF-8 rather than
// throwing.
std::string Stringify(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// safe-react-apps tx-builder serializeJSONObject: keys sorted (nlohmann::json's std::map order
// is bytewise, which equals JavaScript's sort for the ASCII keys of a batch).
void Serialize(const nlohmann::json& j, std::string& out) {
  if (j.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& el : j) {
      if (!first) out += ',';
      first = false;
      Serialize(el, out);
    }
    out += ']';
    return;
  }
  if (j.is_object()) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& [k, v] : j.items()) keys.push_back(k);
    out += '{';
    out += Stringify(keys);
    for (const auto& [k, v] : j.items()) {
      Serialize(v, out);
      out += ',';
    }
    out += '}';
    return;
  }
  out += Stringify(j);
}

Hash32 ChecksumOf(const nlohmann::json& batch) {
  nlohmann::json copy = batch;
  copy["meta"].erase("checksum");
  copy["meta"]["name"] = nullptr;
  std::string serialized;
  Serialize(copy, serialized);
  return Keccak256(AsBytes(serialized));
}

std::string AddressOrEmpty(const std::optional<Address>& a) {
  return a ? ToChecksumAddress(*a) : std::string();
}

}  // namespace

Transaction UnsignedTx::ToTransaction() const {
  return Transaction{.type = TxType::kDynamicFee,
                     .chain_id = chain_id,
                     .nonce = nonce,
                     .max_priority_fee_per_gas = fees.max_priority_fee_per_gas,
                     .max_fee_per_gas = fees.max_fee_per_gas,
                     .gas_limit = gas_limit,
                     .to = to,
                     .value = value,
                     .data = data};
}

absl::StatusOr<UnsignedTx> BuildUnsignedTransaction(uint64_t chain_id, const PreparedCall& call,
                                                    const TxSuggestion& suggestion) {
  if (chain_id == 0) return absl::InvalidArgumentError("chain_id: must not be 0");
  if (call.data.size() < 4) {
    return absl::InvalidArgumentError("data: calldata must hold at least a 4-byte selector");
  }
  if (suggestion.fees.max_fee_per_gas < suggestion.fees.max_priority_fee_per_gas) {
    return absl::InvalidArgumentError(
        "max_priority_fee_per_gas: must not be above max_fee_per_gas");
  }
  UnsignedTx out{.chain_id = chain_id,
                 .to = call.to,
                 .data = call.data,
                 .value = U256(0),
                 .nonce = suggestion.nonce,
                 .gas_limit = suggestion.gas_limit,
                 .fees = suggestion.fees,
                 .function_signature = call.function_signature};
  Bytes rlp = RlpEncodeList({RlpEncodeU64(chain_id), RlpEncodeU64(out.nonce),
                             RlpEncodeU256(out.fees.max_priority_fee_per_gas),
                             RlpEncodeU256(out.fees.max_fee_per_gas), RlpEncodeU64(out.gas_limit),
                             RlpEncodeBytes(out.to.view()), RlpEncodeU256(out.value),
                             RlpEncodeBytes(out.data), RlpEncodeList({})});
  out.signing_payload.reserve(rlp.size() + 1);
  out.signing_payload.push_back(static_cast<uint8_t>(TxType::kDynamicFee));
  out.signing_payload.insert(out.signing_payload.end(), rlp.begin(), rlp.end());
  out.signing_hash = Keccak256(out.signing_payload);
  return out;
}

std::string SafeTransactionBuilderJson(const SafeBatchOptions& options,
                                       std::span<const PreparedCall> calls) {
  nlohmann::ordered_json txs = nlohmann::ordered_json::array();
  for (const PreparedCall& c : calls) {
    txs.push_back({{"to", ToChecksumAddress(c.to)},
                   {"value", "0"},
                   {"data", Hex0x(c.data)},
                   {"contractMethod", nullptr},
                   {"contractInputsValues", nullptr}});
  }
  nlohmann::ordered_json batch = {
      {"version", "1.0"},
      {"chainId", absl::StrCat(options.chain_id)},
      {"createdAt", options.created_at_ms},
      {"meta",
       {{"name", options.name},
        {"description", options.description},
        {"txBuilderVersion", kTxBuilderVersion},
        {"createdFromSafeAddress", AddressOrEmpty(options.safe)},
        {"createdFromOwnerAddress", AddressOrEmpty(options.owner)}}},
      {"transactions", std::move(txs)}};
  // Through the sorted json type: the checksum does not depend on key order.
  const Hash32 checksum = ChecksumOf(nlohmann::json::parse(batch.dump()));
  batch["meta"]["checksum"] = Hex0x(checksum.view());
  return batch.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<Hash32> SafeBatchChecksum(std::string_view batch_json) {
  nlohmann::json batch = nlohmann::json::parse(batch_json, nullptr, /*allow_exceptions=*/false);
  if (!batch.is_object() || !batch.contains("meta") || !batch["meta"].is_object()) {
    return absl::InvalidArgumentError("batch: not a JSON object with a \"meta\" object");
  }
  return ChecksumOf(batch);
}

absl::StatusOr<TimelockCalls> BuildTimelockCalls(std::span<const PreparedCall> calls,
                                                 const TimelockParams& params) {
  if (calls.empty()) return absl::InvalidArgumentError("actions: at least one call is required");
  TimelockCalls out{.timelock = params.timelock};
  const AbiValue predecessor = AbiValue::FixedBytes(params.predecessor.view());
  const AbiValue salt = AbiValue::FixedBytes(params.salt.view());
  const AbiValue delay = AbiValue::Uint(U256(params.delay_seconds));
  if (calls.size() == 1) {
    const std::vector<AbiValue> op = {AbiValue::Address(calls[0].to), AbiValue::Uint(U256(0)),
                                      AbiValue::Bytes(calls[0].data), predecessor, salt};
    std::vector<AbiValue> sched = op;
    sched.push_back(delay);
    ASSIGN_OR_RETURN(out.schedule_data, EncodeCall(timelock_sig::kSchedule, sched));
    ASSIGN_OR_RETURN(out.execute_data, EncodeCall(timelock_sig::kExecute, op));
    const std::vector<AbiType> types = {AbiType::Address(), AbiType::Uint(), AbiType::Bytes(),
                                        AbiType::FixedBytes(32), AbiType::FixedBytes(32)};
    ASSIGN_OR_RETURN(Bytes encoded, AbiEncode(types, op));
    out.operation_id = Keccak256(encoded);
    return out;
  }
  std::vector<AbiValue> targets, values, payloads;
  for (const PreparedCall& c : calls) {
    targets.push_back(AbiValue::Address(c.to));
    values.push_back(AbiValue::Uint(U256(0)));
    payloads.push_back(AbiValue::Bytes(c.data));
  }
  const std::vector<AbiValue> op = {AbiValue::Array(std::move(targets)),
                                    AbiValue::Array(std::move(values)),
                                    AbiValue::Array(std::move(payloads)), predecessor, salt};
  std::vector<AbiValue> sched = op;
  sched.push_back(delay);
  ASSIGN_OR_RETURN(out.schedule_data, EncodeCall(timelock_sig::kScheduleBatch, sched));
  ASSIGN_OR_RETURN(out.execute_data, EncodeCall(timelock_sig::kExecuteBatch, op));
  const std::vector<AbiType> types = {AbiType::Array(AbiType::Address()),
                                      AbiType::Array(AbiType::Uint()),
                                      AbiType::Array(AbiType::Bytes()), AbiType::FixedBytes(32),
                                      AbiType::FixedBytes(32)};
  ASSIGN_OR_RETURN(Bytes encoded, AbiEncode(types, op));
  out.operation_id = Keccak256(encoded);
  return out;
}

absl::StatusOr<PrepareOutput> Prepare(const PrepareInput& input) {
  if (input.calls.empty()) return absl::InvalidArgumentError("actions: at least one is required");
  if (!input.suggestions.empty() && input.suggestions.size() != input.calls.size()) {
    return absl::InvalidArgumentError(absl::StrCat("suggestions: ", input.suggestions.size(),
                                                   " given for ", input.calls.size(), " calls"));
  }
  PrepareOutput out;
  for (size_t i = 0; i < input.calls.size(); ++i) {
    TxSuggestion s = input.suggestions.empty() ? TxSuggestion{} : input.suggestions[i];
    ASSIGN_OR_RETURN(UnsignedTx tx, BuildUnsignedTransaction(input.chain_id, input.calls[i], s));
    out.transactions.push_back(std::move(tx));
  }
  SafeBatchOptions batch = input.safe_batch;
  batch.chain_id = input.chain_id;
  if (input.timelock) {
    ASSIGN_OR_RETURN(TimelockCalls tl, BuildTimelockCalls(input.calls, *input.timelock));
    const PreparedCall schedule{
        .to = tl.timelock,
        .data = tl.schedule_data,
        .function_signature = input.calls.size() == 1 ? timelock_sig::kSchedule
                                                      : timelock_sig::kScheduleBatch};
    out.safe_transaction_builder_json =
        SafeTransactionBuilderJson(batch, std::span<const PreparedCall>(&schedule, 1));
    out.timelock = std::move(tl);
  } else {
    out.safe_transaction_builder_json = SafeTransactionBuilderJson(batch, input.calls);
  }
  return out;
}

}  // namespace chainkms::registry
