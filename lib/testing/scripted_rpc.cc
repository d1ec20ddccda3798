#include "lib/testing/scripted_rpc.h"

#include <string>
#include <utility>
#include <vector>

#include "lib/chain/multicall.h"
#include "lib/common/hex.h"
#include "lib/common/u256.h"
#include "lib/eth/abi.h"

namespace chainkms::testutil {

using nlohmann::json;

void ScriptMulticallNode(ScriptedRpc& rpc, uint64_t head, SubCallAnswer answer, uint64_t chain_id) {
  auto block_of = [head](const json& tag) -> std::optional<uint64_t> {
    const std::string* s = tag.get_ptr<const std::string*>();
    if (s == nullptr || *s == "latest" || *s == "pending") return head;
    return std::stoull(*s, nullptr, 16);
  };
  rpc.On("eth_chainId", [chain_id](const json&) -> absl::StatusOr<json> {
    return json(U256(chain_id).ToHexQuantity());
  });
  rpc.On("eth_blockNumber",
         [head](const json&) -> absl::StatusOr<json> { return json(U256(head).ToHexQuantity()); });
  rpc.On("eth_getBlockByNumber", [head, block_of](const json& p) -> absl::StatusOr<json> {
    std::optional<uint64_t> n = block_of(p[0]);
    if (*n > head) return json(nullptr);
    Hash32 h;
    h.bytes.fill(static_cast<uint8_t>(*n));
    return json{
        {"number", U256(*n).ToHexQuantity()}, {"hash", Hex0x(h.view())}, {"baseFeePerGas", "0x7"}};
  });
  rpc.On("eth_getStorageAt", [](const json&) -> absl::StatusOr<json> {
    return json("0x0000000000000000000000000000000000000000000000000000000000000000");
  });
  rpc.On("eth_call", [head, block_of, answer](const json& p) -> absl::StatusOr<json> {
    const uint64_t block = *block_of(p[1]);
    if (block > head) {
      return RpcErrorStatus(-32000, "header not found", "", "eth_call");
    }
    absl::StatusOr<Bytes> data = HexDecode(p[0]["data"].get<std::string>());
    if (!data.ok()) return data.status();
    absl::StatusOr<std::vector<AbiValue>> calls = DecodeCall(kAggregate3Signature, *data);
    if (!calls.ok()) {
      // A direct eth_call (e.g. owner() before a write): the same answers, unwrapped.
      absl::StatusOr<Address> to = HexDecodeFixed<20>(p[0]["to"].get<std::string>(), "to");
      if (!to.ok()) return to.status();
      auto [ok, ret] = answer(*to, *data);
      if (!ok) return RpcErrorStatus(3, "execution reverted", "0x", "eth_call");
      return json(Hex0x(ret));
    }
    std::vector<AbiValue> results;
    for (const AbiValue& c : (*calls)[0].items) {
      const Bytes& cd = c.items[2].bytes;
      if (cd == GetBlockNumberCalldata()) {
        results.push_back(AbiValue::Tuple(
            {AbiValue::Bool(true), AbiValue::Bytes(U256(block).ToBigEndian().view())}));
        continue;
      }
      auto [ok, ret] = answer(c.items[0].address, cd);
      results.push_back(AbiValue::Tuple({AbiValue::Bool(ok), AbiValue::Bytes(ret)}));
    }
    std::vector<AbiType> t = {AbiType::Array(AbiType::Tuple({AbiType::Bool(), AbiType::Bytes()}))};
    std::vector<AbiValue> v = {AbiValue::Array(results)};
    return json(Hex0x(*AbiEncode(t, v)));
  });
}

}  // namespace chainkms::testutil
