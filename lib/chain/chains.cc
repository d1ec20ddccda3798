#include "lib/chain/chains.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"

namespace chainkms {
namespace {

Address Addr(std::string_view hex) { return *HexDecodeFixed<20>(hex); }

}  // namespace

std::span<const KnownChain> KnownChains() {
  static const std::array<KnownChain, 3> kChains = {{
      {1, "ethereum", Addr("0xd343a3f5593b93D8056aB5D60c433622d7D65a80")},
      {8453, "base", Addr("0x2f83172A49584C017F2B256F0FB2Dca14126Ba9C")},
      {31337, "anvil", std::nullopt},
  }};
  return kChains;
}

absl::StatusOr<const KnownChain*> LookupChain(uint64_t chain_id, std::string_view field) {
  for (const auto& c : KnownChains()) {
    if (c.chain_id == chain_id) return &c;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": unknown chain ", chain_id,
                   " (known: 1 ethereum, 8453 base, 31337 anvil)"));
}

}  // namespace chainkms
