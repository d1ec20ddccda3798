// Multicall3 `aggregate3`: many contract reads in one eth_call, all answered from one block.
//
//   Multicall3 mc(rpc);  // at the canonical address 0xcA11bde05977b3631167028862bE2a173976CA11
//   std::vector<Call3> calls = {{app, false, dstack_app::AllowAnyDevice()},
//                               {app, false, dstack_app::AllowedDeviceIds(device)}};
//   ASSIGN_OR_RETURN(std::vector<Call3Result> r, mc.Aggregate3(calls, BlockTag::Number(n)));
//   ASSIGN_OR_RETURN(bool any, DecodeBoolResult(r[0].return_data));
//
// With allow_failure=false a failing sub-call reverts the whole aggregate3 ("Multicall3: call
// failed"), which Aggregate3 reports as FAILED_PRECONDITION. The result count must equal the
// call count, or the reply is treated as chain trouble (UNAVAILABLE).
#pragma once

#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/chain/eth_rpc.h"
#include "lib/common/bytes.h"
#include "lib/jsonrpc/rpc_caller.h"

namespace chainkms {

// 0xcA11bde05977b3631167028862bE2a173976CA11, the same on every chain.
Address CanonicalMulticall3Address();

inline constexpr std::string_view kAggregate3Signature = "aggregate3((address,bool,bytes)[])";

struct Call3 {
  Address target;
  bool allow_failure = false;
  Bytes call_data;
};

struct Call3Result {
  bool success = false;
  Bytes return_data;
  friend bool operator==(const Call3Result&, const Call3Result&) = default;
};

// Calldata of Multicall3.getBlockNumber() (0x42cbb15c).
Bytes GetBlockNumberCalldata();

// Calldata of aggregate3(calls).
Bytes EncodeAggregate3(std::span<const Call3> calls);
// Decodes the ((bool,bytes)[]) return value; `expected_count` must match (UNAVAILABLE otherwise).
absl::StatusOr<std::vector<Call3Result>> DecodeAggregate3(ByteView ret, size_t expected_count);

class Multicall3 {
 public:
  explicit Multicall3(RpcCaller& rpc, Address address = CanonicalMulticall3Address())
      : rpc_(rpc), address_(address) {}

  // One eth_call of aggregate3 at `block`. Errors as eth_rpc::Call (a missing Multicall3 is
  // FAILED_PRECONDITION "no contract at …").
  absl::StatusOr<std::vector<Call3Result>> Aggregate3(std::span<const Call3> calls,
                                                      const BlockTag& block);

  // Aggregate3 of `calls` plus Multicall3.getBlockNumber() as the last sub-call: the results of
  // `calls` and the number of the block that answered them, in one eth_call.
  struct AtBlock {
    std::vector<Call3Result> results;
    uint64_t block_number = 0;
  };
  absl::StatusOr<AtBlock> Aggregate3WithBlockNumber(std::span<const Call3> calls,
                                                    const BlockTag& block);

  // The request Aggregate3WithBlockNumber sends (for a JSON-RPC batch beside other reads), and
  // the decoding of its answer.
  CallRequest Aggregate3WithBlockNumberRequest(std::span<const Call3> calls) const;
  static absl::StatusOr<AtBlock> DecodeWithBlockNumber(ByteView ret, size_t call_count);

  const Address& address() const { return address_; }

 private:
  RpcCaller& rpc_;
  Address address_;
};

}  // namespace chainkms
