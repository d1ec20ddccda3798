#include "lib/chain/multicall.h"

#include <cstdlib>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"
#include "lib/chain/contracts.h"
#include "lib/eth/abi.h"

namespace chainkms {
namespace {

AbiType ResultType() {
  return AbiType::Array(AbiType::Tuple({AbiType::Bool(), AbiType::Bytes()}));
}

}  // namespace

Address CanonicalMulticall3Address() {
  return Address(std::array<uint8_t, 20>{0xca, 0x11, 0xbd, 0xe0, 0x59, 0x77, 0xb3, 0x63, 0x11, 0x67,
                                         0x02, 0x88, 0x62, 0xbe, 0x2a, 0x17, 0x39, 0x76, 0xca, 0x11});
}

Bytes GetBlockNumberCalldata() { return Bytes{0x42, 0xcb, 0xb1, 0x5c}; }

Bytes EncodeAggregate3(std::span<const Call3> calls) {
  std::vector<AbiValue> items;
  items.reserve(calls.size());
  for (const Call3& c : calls) {
    items.push_back(AbiValue::Tuple({AbiValue::Address(c.target), AbiValue::Bool(c.allow_failure),
                                     AbiValue::Bytes(c.call_data)}));
  }
  std::vector<AbiValue> args = {AbiValue::Array(std::move(items))};
  absl::StatusOr<Bytes> b = EncodeCall(kAggregate3Signature, args);
  if (!b.ok()) {  // typed input cannot fail to encode
    std::cerr << "chainkms: aggregate3 encoding failed: " << b.status() << "\n";
    std::abort();
  }
  return *std::move(b);
}

absl::StatusOr<std::vector<Call3Result>> DecodeAggregate3(ByteView ret, size_t expected_count) {
  std::vector<AbiType> types = {ResultType()};
  absl::StatusOr<std::vector<AbiValue>> v = AbiDecode(types, ret);
  if (!v.ok()) {
    return absl::UnavailableError(
        absl::StrCat("aggregate3: malformed return data: ", std::string(v.status().message())));
  }
  const std::vector<AbiValue>& items = (*v)[0].items;
  if (items.size() != expected_count) {
    return absl::UnavailableError(absl::StrCat("aggregate3: ", items.size(),
                                               " results for ", expected_count, " calls"));
  }
  std::vector<Call3Result> out;
  out.reserve(items.size());
  for (const AbiValue& item : items) {
    out.push_back(Call3Result{item.items[0].AsBool(), item.items[1].bytes});
  }
  return out;
}

absl::StatusOr<std::vector<Call3Result>> Multicall3::Aggregate3(std::span<const Call3> calls,
                                                                const BlockTag& block) {
  CallRequest req;
  req.to = address_;
  req.data = EncodeAggregate3(calls);
  ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(rpc_, req, block));
  return DecodeAggregate3(ret, calls.size());
}

CallRequest Multicall3::Aggregate3WithBlockNumberRequest(std::span<const Call3> calls) const {
  std::vector<Call3> all(calls.begin(), calls.end());
  all.push_back({address_, false, GetBlockNumberCalldata()});
  CallRequest req;
  req.to = address_;
  req.data = EncodeAggregate3(all);
  return req;
}

absl::StatusOr<Multicall3::AtBlock> Multicall3::DecodeWithBlockNumber(ByteView ret,
                                                                      size_t call_count) {
  ASSIGN_OR_RETURN(std::vector<Call3Result> results, DecodeAggregate3(ret, call_count + 1));
  const Call3Result last = std::move(results.back());
  results.pop_back();
  absl::StatusOr<U256> n = last.success ? DecodeUintResult(last.return_data)
                                        : absl::StatusOr<U256>(absl::UnavailableError("failed"));
  std::optional<uint64_t> number = n.ok() ? n->ToU64() : std::nullopt;
  if (!number.has_value()) {
    return absl::UnavailableError("aggregate3: getBlockNumber() answered malformed data");
  }
  return AtBlock{.results = std::move(results), .block_number = *number};
}

absl::StatusOr<Multicall3::AtBlock> Multicall3::Aggregate3WithBlockNumber(
    std::span<const Call3> calls, const BlockTag& block) {
  ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(rpc_, Aggregate3WithBlockNumberRequest(calls), block));
  return DecodeWithBlockNumber(ret, calls.size());
}

}  // namespace chainkms
