#include "lib/chain/eth_rpc.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/eth/revert.h"
#include "lib/jsonrpc/errors.h"

namespace chainkms {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(why)));
}

const json* Member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

// A malformed node reply is chain trouble for the caller.
absl::Status Unavailable(std::string_view method, const absl::Status& s) {
  return absl::UnavailableError(
      absl::StrCat(std::string(method), ": malformed reply: ", std::string(s.message())));
}

template <typename T>
absl::StatusOr<T> ParseReply(std::string_view method, absl::StatusOr<T> v) {
  if (!v.ok()) return Unavailable(method, v.status());
  return v;
}

absl::Status CopyPayloads(const absl::Status& from, absl::Status to) {
  from.ForEachPayload([&to](absl::string_view url, const absl::Cord& payload) {
    to.SetPayload(url, payload);
  });
  return to;
}

}  // namespace

std::string BlockTag::ToJson() const {
  return tag_.empty() ? U256(number_).ToHexQuantity() : tag_;
}

absl::StatusOr<U256> JsonQuantity(const json& j, std::string_view field) {
  if (!j.is_string()) return Bad(field, "expected a hex quantity string");
  const std::string& s = j.get_ref<const std::string&>();
  if (!HasHexPrefix(s) || s.size() < 3) return Bad(field, "expected a 0x-prefixed quantity");
  absl::StatusOr<U256> v = U256::FromHex(s);
  if (!v.ok()) return Bad(field, std::string(v.status().message()));
  return v;
}

absl::StatusOr<uint64_t> JsonU64(const json& j, std::string_view field) {
  ASSIGN_OR_RETURN(U256 v, JsonQuantity(j, field));
  std::optional<uint64_t> u = v.ToU64();
  if (!u) return Bad(field, "does not fit in 64 bits");
  return *u;
}

absl::StatusOr<Hash32> JsonHash(const json& j, std::string_view field) {
  if (!j.is_string()) return Bad(field, "expected a 32-byte hex string");
  return HexDecodeFixed<32>(j.get_ref<const std::string&>(), field, HexPrefix::kRequired);
}

absl::StatusOr<Address> JsonAddress(const json& j, std::string_view field) {
  if (!j.is_string()) return Bad(field, "expected an address string");
  return HexDecodeFixed<20>(j.get_ref<const std::string&>(), field, HexPrefix::kRequired);
}

absl::StatusOr<Bytes> JsonData(const json& j, std::string_view field) {
  if (!j.is_string()) return Bad(field, "expected a hex data string");
  return HexDecode(j.get_ref<const std::string&>(), HexPrefix::kRequired, field);
}

absl::Status ReadError(const absl::Status& s, std::string_view what) {
  std::optional<RpcError> e = GetRpcError(s);
  if (e && e->kind == RpcErrorKind::kExecutionReverted) {
    absl::StatusOr<Revert> r = DecodeRevert(e->data, KnownCustomErrors());
    std::string reason = r.ok() ? r->Describe() : e->message;
    return CopyPayloads(s, absl::FailedPreconditionError(
                               absl::StrCat(std::string(what), ": execution reverted: ", reason)));
  }
  if (absl::IsUnavailable(s)) return s;
  return CopyPayloads(s, absl::UnavailableError(absl::StrCat(std::string(what), ": ",
                                                             std::string(s.message()))));
}

std::vector<ContractEvent> Receipt::EventsFrom(const Address& contract) const {
  std::vector<ContractEvent> out;
  for (const LogEntry& l : logs) {
    if (l.log.address == contract && l.event && !l.removed) out.push_back(*l.event);
  }
  return out;
}

absl::StatusOr<LogEntry> ParseLogEntry(const json& j) {
  try {
    if (!j.is_object()) return Bad("log", "expected an object");
    LogEntry e;
    const json* v;
    if (!(v = Member(j, "address"))) return Bad("log.address", "missing");
    ASSIGN_OR_RETURN(e.log.address, JsonAddress(*v, "log.address"));
    if (!(v = Member(j, "topics")) || !v->is_array()) return Bad("log.topics", "missing");
    for (const json& t : *v) {
      ASSIGN_OR_RETURN(Hash32 h, JsonHash(t, "log.topics"));
      e.log.topics.push_back(h);
    }
    if (!(v = Member(j, "data"))) return Bad("log.data", "missing");
    ASSIGN_OR_RETURN(e.log.data, JsonData(*v, "log.data"));
    if ((v = Member(j, "blockHash"))) { ASSIGN_OR_RETURN(e.block_hash, JsonHash(*v, "log.blockHash")); }
    if ((v = Member(j, "blockNumber"))) { ASSIGN_OR_RETURN(e.block_number, JsonU64(*v, "log.blockNumber")); }
    if ((v = Member(j, "transactionHash"))) {
      ASSIGN_OR_RETURN(e.transaction_hash, JsonHash(*v, "log.transactionHash"));
    }
    if ((v = Member(j, "transactionIndex"))) {
      ASSIGN_OR_RETURN(e.transaction_index, JsonU64(*v, "log.transactionIndex"));
    }
    if ((v = Member(j, "logIndex"))) { ASSIGN_OR_RETURN(e.log_index, JsonU64(*v, "log.logIndex")); }
    if ((v = Member(j, "removed"))) {
      if (!v->is_boolean()) return Bad("log.removed", "expected a boolean");
      e.removed = v->get<bool>();
    }
    e.event = DecodeEvent(e.log);
    return e;
  } catch (const json::exception& ex) {
    return Bad("log", ex.what());
  }
}

absl::StatusOr<Receipt> ParseReceipt(const json& j) {
  try {
    if (!j.is_object()) return Bad("receipt", "expected an object");
    Receipt r;
    const json* v;
    auto need = [&](const char* key) -> const json* { return Member(j, key); };
    if (!(v = need("transactionHash"))) return Bad("receipt.transactionHash", "missing");
    ASSIGN_OR_RETURN(r.transaction_hash, JsonHash(*v, "receipt.transactionHash"));
    if (!(v = need("blockHash"))) return Bad("receipt.blockHash", "missing");
    ASSIGN_OR_RETURN(r.block_hash, JsonHash(*v, "receipt.blockHash"));
    if (!(v = need("blockNumber"))) return Bad("receipt.blockNumber", "missing");
    ASSIGN_OR_RETURN(r.block_number, JsonU64(*v, "receipt.blockNumber"));
    if ((v = need("transactionIndex"))) {
      ASSIGN_OR_RETURN(r.transaction_index, JsonU64(*v, "receipt.transactionIndex"));
    }
    if (!(v = need("from"))) return Bad("receipt.from", "missing");
    ASSIGN_OR_RETURN(r.from, JsonAddress(*v, "receipt.from"));
    if ((v = need("to"))) { ASSIGN_OR_RETURN(r.to, JsonAddress(*v, "receipt.to")); }
    if ((v = need("contractAddress"))) {
      ASSIGN_OR_RETURN(r.contract_address, JsonAddress(*v, "receipt.contractAddress"));
    }
    if (!(v = need("status"))) return Bad("receipt.status", "missing (pre-Byzantium receipts are not supported)");
    ASSIGN_OR_RETURN(uint64_t status, JsonU64(*v, "receipt.status"));
    if (status > 1) return Bad("receipt.status", "expected 0x0 or 0x1");
    r.success = status == 1;
    if (!(v = need("gasUsed"))) return Bad("receipt.gasUsed", "missing");
    ASSIGN_OR_RETURN(r.gas_used, JsonU64(*v, "receipt.gasUsed"));
    if ((v = need("cumulativeGasUsed"))) {
      ASSIGN_OR_RETURN(r.cumulative_gas_used, JsonU64(*v, "receipt.cumulativeGasUsed"));
    }
    if ((v = need("effectiveGasPrice"))) {
      ASSIGN_OR_RETURN(r.effective_gas_price, JsonQuantity(*v, "receipt.effectiveGasPrice"));
    }
    if ((v = need("logs"))) {
      if (!v->is_array()) return Bad("receipt.logs", "expected an array");
      for (const json& l : *v) {
        ASSIGN_OR_RETURN(LogEntry e, ParseLogEntry(l));
        r.logs.push_back(std::move(e));
      }
    }
    return r;
  } catch (const json::exception& ex) {
    return Bad("receipt", ex.what());
  }
}

json LogFilter::ToJson() const {
  json f = json::object();
  if (addresses.size() == 1) {
    f["address"] = Hex0x(addresses[0].view());
  } else if (!addresses.empty()) {
    json a = json::array();
    for (const Address& x : addresses) a.push_back(Hex0x(x.view()));
    f["address"] = a;
  }
  if (!topics.empty()) {
    json t = json::array();
    for (const auto& slot : topics) {
      if (!slot) {
        t.push_back(nullptr);
        continue;
      }
      json any = json::array();
      for (const Hash32& h : *slot) any.push_back(Hex0x(h.view()));
      t.push_back(any);
    }
    f["topics"] = t;
  }
  f["fromBlock"] = from_block.ToJson();
  f["toBlock"] = to_block.ToJson();
  return f;
}

json CallRequest::ToJson() const {
  json c = json::object();
  if (from) c["from"] = Hex0x(from->view());
  if (to) c["to"] = Hex0x(to->view());
  c["data"] = Hex0x(data);
  if (!value.IsZero()) c["value"] = value.ToHexQuantity();
  return c;
}

namespace eth_rpc {

absl::StatusOr<uint64_t> ChainId(RpcCaller& rpc) {
  absl::StatusOr<json> r = rpc.Call("eth_chainId", json::array());
  if (!r.ok()) return ReadError(r.status(), "eth_chainId");
  return ParseReply("eth_chainId", JsonU64(*r, "chainId"));
}

absl::StatusOr<uint64_t> BlockNumber(RpcCaller& rpc) {
  absl::StatusOr<json> r = rpc.Call("eth_blockNumber", json::array());
  if (!r.ok()) return ReadError(r.status(), "eth_blockNumber");
  return ParseReply("eth_blockNumber", JsonU64(*r, "blockNumber"));
}

absl::StatusOr<BlockHeader> ParseBlockHeader(const json* r) {
  auto parse = [&]() -> absl::StatusOr<BlockHeader> {
    BlockHeader h;
    const json* v;
    if (!(v = Member(*r, "number"))) return Bad("block.number", "missing");
    ASSIGN_OR_RETURN(h.block.number, JsonU64(*v, "block.number"));
    if (!(v = Member(*r, "hash"))) return Bad("block.hash", "missing");
    ASSIGN_OR_RETURN(h.block.hash, JsonHash(*v, "block.hash"));
    if ((v = Member(*r, "parentHash"))) { ASSIGN_OR_RETURN(h.parent_hash, JsonHash(*v, "block.parentHash")); }
    if ((v = Member(*r, "timestamp"))) { ASSIGN_OR_RETURN(h.timestamp, JsonU64(*v, "block.timestamp")); }
    if ((v = Member(*r, "baseFeePerGas"))) {
      ASSIGN_OR_RETURN(h.base_fee_per_gas, JsonQuantity(*v, "block.baseFeePerGas"));
    }
    return h;
  };
  return ParseReply("eth_getBlockByNumber", parse());
}

absl::StatusOr<BlockHeader> GetBlock(RpcCaller& rpc, const BlockTag& tag) {
  absl::StatusOr<json> r = rpc.Call("eth_getBlockByNumber", json::array({tag.ToJson(), false}));
  if (!r.ok()) return ReadError(r.status(), "eth_getBlockByNumber");
  if (r->is_null()) return absl::NotFoundError(absl::StrCat("no block ", tag.ToJson()));
  return ParseBlockHeader(&*r);
}

absl::StatusOr<Bytes> Call(RpcCaller& rpc, const CallRequest& call, const BlockTag& block) {
  absl::StatusOr<json> r = rpc.Call("eth_call", json::array({call.ToJson(), block.ToJson()}));
  if (!r.ok()) return ReadError(r.status(), "eth_call");
  ASSIGN_OR_RETURN(Bytes out, ParseReply("eth_call", JsonData(*r, "result")));
  if (out.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no contract at ", ToChecksumAddress(call.to.value_or(Address())), " (empty eth_call result at ",
                     block.ToJson(), ")"));
  }
  return out;
}

absl::StatusOr<Hash32> GetStorageAt(RpcCaller& rpc, const Address& contract, const Hash32& slot,
                                    const BlockTag& block) {
  absl::StatusOr<json> r = rpc.Call(
      "eth_getStorageAt", json::array({Hex0x(contract.view()), Hex0x(slot.view()), block.ToJson()}));
  if (!r.ok()) return ReadError(r.status(), "eth_getStorageAt");
  // Some nodes return a minimal quantity instead of a full word.
  ASSIGN_OR_RETURN(U256 v, ParseReply("eth_getStorageAt", JsonQuantity(*r, "result")));
  return v.ToBigEndian();
}

absl::StatusOr<BatchReadResult> BatchRead(RpcCaller& rpc, const BatchReadRequest& req) {
  std::vector<RpcCaller::Request> batch;
  batch.push_back({.method = "eth_call", .params = json::array({req.call.ToJson(), req.tag.ToJson()})});
  if (req.slot.has_value()) {
    batch.push_back({.method = "eth_getStorageAt",
                     .params = json::array({Hex0x(req.slot->first.view()),
                                            Hex0x(req.slot->second.view()), req.tag.ToJson()})});
  }
  if (req.with_header) {
    batch.push_back({.method = "eth_getBlockByNumber", .params = json::array({req.tag.ToJson(), false})});
  }
  const size_t n = batch.size();
  absl::StatusOr<std::vector<absl::StatusOr<json>>> r = rpc.Batch(std::move(batch));
  if (!r.ok()) return ReadError(r.status(), "eth_call batch");
  if (r->size() != n) return absl::UnavailableError("eth_call batch: the answer has the wrong size");
  BatchReadResult out;
  if (!(*r)[0].ok()) return ReadError((*r)[0].status(), "eth_call");
  ASSIGN_OR_RETURN(out.call_result, ParseReply("eth_call", JsonData(*(*r)[0], "result")));
  if (out.call_result.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no contract at ", ToChecksumAddress(req.call.to.value_or(Address())),
        " (empty eth_call result at ", req.tag.ToJson(), ")"));
  }
  size_t i = 1;
  if (req.slot.has_value()) {
    if (!(*r)[i].ok()) return ReadError((*r)[i].status(), "eth_getStorageAt");
    ASSIGN_OR_RETURN(U256 v, ParseReply("eth_getStorageAt", JsonQuantity(*(*r)[i], "result")));
    out.slot_value = v.ToBigEndian();
    ++i;
  }
  if (req.with_header) {
    if (!(*r)[i].ok()) return ReadError((*r)[i].status(), "eth_getBlockByNumber");
    if ((*r)[i]->is_null()) return absl::UnavailableError("the node has no latest block");
    ASSIGN_OR_RETURN(out.header, ParseBlockHeader(&*(*r)[i]));
  }
  return out;
}

absl::StatusOr<Bytes> GetCode(RpcCaller& rpc, const Address& a, const BlockTag& block) {
  absl::StatusOr<json> r = rpc.Call("eth_getCode", json::array({Hex0x(a.view()), block.ToJson()}));
  if (!r.ok()) return ReadError(r.status(), "eth_getCode");
  return ParseReply("eth_getCode", JsonData(*r, "result"));
}

absl::StatusOr<uint64_t> GetTransactionCount(RpcCaller& rpc, const Address& a,
                                             const BlockTag& block) {
  absl::StatusOr<json> r =
      rpc.Call("eth_getTransactionCount", json::array({Hex0x(a.view()), block.ToJson()}));
  if (!r.ok()) return ReadError(r.status(), "eth_getTransactionCount");
  return ParseReply("eth_getTransactionCount", JsonU64(*r, "result"));
}

absl::StatusOr<uint64_t> EstimateGas(RpcCaller& rpc, const CallRequest& call) {
  absl::StatusOr<json> r = rpc.Call("eth_estimateGas", json::array({call.ToJson()}));
  if (!r.ok()) return ReadError(r.status(), "eth_estimateGas");
  return ParseReply("eth_estimateGas", JsonU64(*r, "result"));
}

absl::StatusOr<FeeHistory> GetFeeHistory(RpcCaller& rpc, uint64_t blocks,
                                         const std::vector<double>& percentiles) {
  absl::StatusOr<json> r = rpc.Call(
      "eth_feeHistory", json::array({U256(blocks).ToHexQuantity(), "latest", percentiles}));
  if (!r.ok()) return ReadError(r.status(), "eth_feeHistory");
  auto parse = [&]() -> absl::StatusOr<FeeHistory> {
    FeeHistory h;
    const json* v;
    if (!(v = Member(*r, "oldestBlock"))) return Bad("oldestBlock", "missing");
    ASSIGN_OR_RETURN(h.oldest_block, JsonU64(*v, "oldestBlock"));
    if (!(v = Member(*r, "baseFeePerGas")) || !v->is_array()) return Bad("baseFeePerGas", "missing");
    for (const json& b : *v) {
      ASSIGN_OR_RETURN(U256 x, JsonQuantity(b, "baseFeePerGas"));
      h.base_fee_per_gas.push_back(x);
    }
    if ((v = Member(*r, "reward"))) {
      if (!v->is_array()) return Bad("reward", "expected an array");
      for (const json& row : *v) {
        if (!row.is_array()) return Bad("reward", "expected arrays");
        std::vector<U256> rewards;
        for (const json& x : row) {
          ASSIGN_OR_RETURN(U256 q, JsonQuantity(x, "reward"));
          rewards.push_back(q);
        }
        h.reward.push_back(std::move(rewards));
      }
    }
    return h;
  };
  return ParseReply("eth_feeHistory", parse());
}

absl::StatusOr<U256> MaxPriorityFeePerGas(RpcCaller& rpc) {
  absl::StatusOr<json> r = rpc.Call("eth_maxPriorityFeePerGas", json::array());
  if (!r.ok()) return ReadError(r.status(), "eth_maxPriorityFeePerGas");
  return ParseReply("eth_maxPriorityFeePerGas", JsonQuantity(*r, "result"));
}

absl::StatusOr<Hash32> SendRawTransaction(RpcCaller& rpc, ByteView raw) {
  ASSIGN_OR_RETURN(json r, rpc.Call("eth_sendRawTransaction", json::array({Hex0x(raw)})));
  return ParseReply("eth_sendRawTransaction", JsonHash(r, "result"));
}

absl::StatusOr<bool> TransactionKnown(RpcCaller& rpc, const Hash32& tx) {
  absl::StatusOr<json> r = rpc.Call("eth_getTransactionByHash", json::array({Hex0x(tx.view())}));
  if (!r.ok()) return ReadError(r.status(), "eth_getTransactionByHash");
  return !r->is_null();
}

absl::StatusOr<std::optional<Receipt>> GetTransactionReceipt(RpcCaller& rpc, const Hash32& tx) {
  absl::StatusOr<json> r =
      rpc.Call("eth_getTransactionReceipt", json::array({Hex0x(tx.view())}));
  if (!r.ok()) return ReadError(r.status(), "eth_getTransactionReceipt");
  if (r->is_null()) return std::optional<Receipt>();
  ASSIGN_OR_RETURN(Receipt receipt, ParseReply("eth_getTransactionReceipt", ParseReceipt(*r)));
  return std::optional<Receipt>(std::move(receipt));
}

absl::StatusOr<std::vector<LogEntry>> GetLogs(RpcCaller& rpc, const LogFilter& filter) {
  absl::StatusOr<json> r = rpc.Call("eth_getLogs", json::array({filter.ToJson()}));
  if (!r.ok()) return ReadError(r.status(), "eth_getLogs");
  if (!r->is_array()) return Unavailable("eth_getLogs", Bad("result", "expected an array"));
  std::vector<LogEntry> out;
  for (const json& l : *r) {
    ASSIGN_OR_RETURN(LogEntry e, ParseReply("eth_getLogs", ParseLogEntry(l)));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace eth_rpc
}  // namespace chainkms
