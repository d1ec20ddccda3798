// Decoding of contract event logs against an event signature.
//
//   Log log{contract, topics, data};  // from an eth_getLogs / receipt entry
//   ASSIGN_OR_RETURN(std::vector<AbiValue> v,
//                    DecodeLog("Transfer(address indexed from,address indexed to,uint256)", log));
//   // v[0], v[1]: addresses from topics 1 and 2; v[2]: the amount from data.
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/eth/abi.h"
#include "lib/eth/abi_type.h"

namespace chainkms {

struct Log {
  Address address;
  std::vector<Hash32> topics;
  Bytes data;
};

// Returns the event's parameters in declaration order. Indexed value types (uint, int, address,
// bool, bytesN) are decoded from their topic; indexed bytes/string/arrays/tuples are only
// present as their keccak256, returned as a bytes32 value. Checks topic0 against the event
// signature (anonymous events are not supported) and that the topic count is exactly
// 1 + the number of indexed parameters. Mismatches are INVALID_ARGUMENT.
absl::StatusOr<std::vector<AbiValue>> DecodeLog(const AbiSignature& event, const Log& log);
absl::StatusOr<std::vector<AbiValue>> DecodeLog(std::string_view event_signature, const Log& log);

}  // namespace chainkms
