// The chains chainkms knows by id, with the DstackKms deployment on each (DESIGN §5.1).
// Requests name their chain by id; an id not configured here or by the operator is refused.
//
//   ASSIGN_OR_RETURN(const KnownChain* base, LookupChain(8453, "chain_id"));
//   base->dstack_kms;   // 0x2f83172A49584C017F2B256F0FB2Dca14126Ba9C
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"

namespace chainkms {

struct KnownChain {
  uint64_t chain_id = 0;
  std::string_view name;
  // The public DstackKms proxy; nullopt for development chains (deployed per run).
  std::optional<Address> dstack_kms;
};

// Ethereum (1), Base (8453) and anvil (31337).
std::span<const KnownChain> KnownChains();

// INVALID_ARGUMENT naming `field` for an id that is not known (0 included).
absl::StatusOr<const KnownChain*> LookupChain(uint64_t chain_id, std::string_view field = "chain_id");

}  // namespace chainkms
