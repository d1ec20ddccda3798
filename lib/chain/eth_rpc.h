// Typed Ethereum JSON-RPC calls over an RpcCaller: blocks, eth_call, storage, nonces, gas, fees,
// raw transactions, receipts and logs. Replies are parsed strictly into typed values once, here.
//
//   ASSIGN_OR_RETURN(PinnedBlock head, eth_rpc::GetBlock(rpc, BlockTag::Latest()));
//   ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(rpc, {.to = app, .data = dstack_app::AllowAnyDevice()},
//                                             BlockTag::Number(head.number)));
//   ASSIGN_OR_RETURN(std::optional<Receipt> r, eth_rpc::GetTransactionReceipt(rpc, tx_hash));
//
// Errors: chain trouble (transport, node errors, malformed replies) is UNAVAILABLE; a reverted
// eth_call / eth_estimateGas is FAILED_PRECONDITION "execution reverted: <decoded reason>" with
// the RpcError payload kept (GetRpcError works on it); an eth_call answered with empty data is
// FAILED_PRECONDITION "no contract at 0x…". Send errors keep the jsonrpc classification.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/chain/contracts.h"
#include "lib/common/bytes.h"
#include "lib/common/u256.h"
#include "lib/eth/log.h"
#include "lib/jsonrpc/rpc_caller.h"
#include "nlohmann/json.hpp"

namespace chainkms {

// Which block a read sees: a number (pinned) or a tag.
class BlockTag {
 public:
  static BlockTag Number(uint64_t n) { return BlockTag(n, ""); }
  static BlockTag Latest() { return BlockTag(0, "latest"); }
  static BlockTag Pending() { return BlockTag(0, "pending"); }
  static BlockTag Safe() { return BlockTag(0, "safe"); }
  static BlockTag Finalized() { return BlockTag(0, "finalized"); }
  std::optional<uint64_t> number() const {
    return tag_.empty() ? std::optional<uint64_t>(number_) : std::nullopt;
  }
  // "0x1b4" or "latest".
  std::string ToJson() const;
  friend bool operator==(const BlockTag&, const BlockTag&) = default;

 private:
  BlockTag(uint64_t n, std::string tag) : number_(n), tag_(std::move(tag)) {}
  uint64_t number_;
  std::string tag_;
};

// A block a decision was read at.
struct PinnedBlock {
  uint64_t number = 0;
  Hash32 hash;
  friend bool operator==(const PinnedBlock&, const PinnedBlock&) = default;
};

struct BlockHeader {
  PinnedBlock block;
  Hash32 parent_hash;
  uint64_t timestamp = 0;
  std::optional<U256> base_fee_per_gas;  // absent before London
};

// A log as a receipt or eth_getLogs returns it, with its typed event when it is one of ours.
struct LogEntry {
  Log log;
  Hash32 block_hash;
  uint64_t block_number = 0;
  Hash32 transaction_hash;
  uint64_t transaction_index = 0;
  uint64_t log_index = 0;
  bool removed = false;                // true when a reorg dropped it (eth_getLogs / filters)
  std::optional<ContractEvent> event;  // DecodeEvent(log)
};

struct Receipt {
  Hash32 transaction_hash;
  Hash32 block_hash;
  uint64_t block_number = 0;
  uint64_t transaction_index = 0;
  Address from;
  std::optional<Address> to;                // nullopt for contract creation
  std::optional<Address> contract_address;  // set for contract creation
  bool success = false;                     // status == 0x1
  uint64_t gas_used = 0;
  uint64_t cumulative_gas_used = 0;
  U256 effective_gas_price;
  std::vector<LogEntry> logs;

  // The typed events emitted by `contract`, in log order.
  std::vector<ContractEvent> EventsFrom(const Address& contract) const;
};

// Parses a receipt / log object as nodes return them. INVALID_ARGUMENT naming the field.
absl::StatusOr<Receipt> ParseReceipt(const nlohmann::json& j);
absl::StatusOr<LogEntry> ParseLogEntry(const nlohmann::json& j);

struct LogFilter {
  std::vector<Address> addresses;  // empty: any
  // topics[i]: nullopt matches anything; otherwise any of the listed values.
  std::vector<std::optional<std::vector<Hash32>>> topics;
  BlockTag from_block = BlockTag::Latest();
  BlockTag to_block = BlockTag::Latest();
  nlohmann::json ToJson() const;
};

// eth_call / eth_estimateGas arguments.
struct CallRequest {
  std::optional<Address> from = {};
  std::optional<Address> to = {};  // nullopt: contract creation (estimateGas only)
  Bytes data = {};
  U256 value = {};
  nlohmann::json ToJson() const;
};

struct FeeHistory {
  uint64_t oldest_block = 0;
  std::vector<U256> base_fee_per_gas;         // one more than blocks: the last is the next block's
  std::vector<std::vector<U256>> reward;      // per block, per requested percentile
};

namespace eth_rpc {

absl::StatusOr<uint64_t> ChainId(RpcCaller& rpc);
absl::StatusOr<uint64_t> BlockNumber(RpcCaller& rpc);
// eth_getBlockByNumber(tag, false). NOT_FOUND when the node has no such block.
absl::StatusOr<BlockHeader> GetBlock(RpcCaller& rpc, const BlockTag& tag);
// eth_call. Reverts and empty results as described above.
absl::StatusOr<Bytes> Call(RpcCaller& rpc, const CallRequest& call, const BlockTag& block);
// One eth_call plus, optionally, a storage slot and the block header, all at `tag` and sent as
// one JSON-RPC batch (one round trip). Errors as Call / GetStorageAt / GetBlock.
struct BatchReadRequest {
  CallRequest call;
  BlockTag tag = BlockTag::Latest();
  std::optional<std::pair<Address, Hash32>> slot = {};  // contract, slot
  bool with_header = false;
};
struct BatchReadResult {
  Bytes call_result;
  std::optional<Hash32> slot_value;
  std::optional<BlockHeader> header;
};
absl::StatusOr<BatchReadResult> BatchRead(RpcCaller& rpc, const BatchReadRequest& request);
absl::StatusOr<Hash32> GetStorageAt(RpcCaller& rpc, const Address& contract, const Hash32& slot,
                                    const BlockTag& block);
absl::StatusOr<Bytes> GetCode(RpcCaller& rpc, const Address& a, const BlockTag& block);
absl::StatusOr<uint64_t> GetTransactionCount(RpcCaller& rpc, const Address& a,
                                             const BlockTag& block);
// A revert is FAILED_PRECONDITION "execution reverted: <reason>", the RpcError kept.
absl::StatusOr<uint64_t> EstimateGas(RpcCaller& rpc, const CallRequest& call);
absl::StatusOr<FeeHistory> GetFeeHistory(RpcCaller& rpc, uint64_t blocks,
                                         const std::vector<double>& percentiles);
absl::StatusOr<U256> MaxPriorityFeePerGas(RpcCaller& rpc);
// The hash the node reports; errors keep the jsonrpc status (GetRpcError gives the kind).
absl::StatusOr<Hash32> SendRawTransaction(RpcCaller& rpc, ByteView raw);
// True when the node knows the transaction (pending or mined): eth_getTransactionByHash.
absl::StatusOr<bool> TransactionKnown(RpcCaller& rpc, const Hash32& tx);
// nullopt while the transaction is not mined (or unknown).
absl::StatusOr<std::optional<Receipt>> GetTransactionReceipt(RpcCaller& rpc, const Hash32& tx);
absl::StatusOr<std::vector<LogEntry>> GetLogs(RpcCaller& rpc, const LogFilter& filter);

}  // namespace eth_rpc

// Reply parsing helpers (INVALID_ARGUMENT naming `field`).
absl::StatusOr<U256> JsonQuantity(const nlohmann::json& j, std::string_view field);
absl::StatusOr<uint64_t> JsonU64(const nlohmann::json& j, std::string_view field);
absl::StatusOr<Hash32> JsonHash(const nlohmann::json& j, std::string_view field);
absl::StatusOr<Address> JsonAddress(const nlohmann::json& j, std::string_view field);
absl::StatusOr<Bytes> JsonData(const nlohmann::json& j, std::string_view field);

// The status a read returns for a failed RPC: reverts become FAILED_PRECONDITION with the
// decoded reason (KnownCustomErrors), everything else UNAVAILABLE; payloads are kept.
absl::Status ReadError(const absl::Status& s, std::string_view what);

}  // namespace chainkms
