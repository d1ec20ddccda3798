// Ethereum addresses: parsing with EIP-55 checksum validation, and checksummed formatting.
//
//   ASSIGN_OR_RETURN(Address a, ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "to"));
//   std::string s = ToChecksumAddress(a);   // "0x5aAeb605…"
//   Address c = ComputeCreateAddress(deployer, nonce);
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"

namespace chainkms {

// Accepts 40 hex digits with optional 0x. All-lowercase or all-uppercase digits are accepted
// as is; mixed case must carry a valid EIP-55 checksum. Errors are INVALID_ARGUMENT naming
// `field`.
absl::StatusOr<Address> ParseAddress(std::string_view s, std::string_view field = "address");
// "0x" + EIP-55 mixed-case hex.
std::string ToChecksumAddress(const Address& a);
// CREATE address: keccak256(rlp([sender, nonce]))[12:].
Address ComputeCreateAddress(const Address& sender, uint64_t nonce);

}  // namespace chainkms
