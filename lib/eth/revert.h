// Decoding of EVM revert data: Error(string), Panic(uint256), custom errors, or raw bytes.
//
//   std::vector<std::string> errors = {"OwnableUnauthorizedAccount(address)"};
//   ASSIGN_OR_RETURN(Revert r, DecodeRevert(eth_call_error_data, errors));
//   if (r.kind == RevertKind::kErrorString) LOG(INFO) << r.message;
//   std::string line = r.Describe();  // "reverted: Device not allowed"
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/u256.h"
#include "lib/eth/abi.h"

namespace chainkms {

enum class RevertKind {
  kEmpty,        // no data: require(false), out of gas, call to a non-contract, ...
  kErrorString,  // Error(string) 0x08c379a0
  kPanic,        // Panic(uint256) 0x4e487b71
  kCustom,       // one of the custom error signatures given
  kUnknown,      // anything else, including malformed Error/Panic bodies
};

struct Revert {
  RevertKind kind = RevertKind::kEmpty;
  std::string message;          // kErrorString
  U256 panic_code;              // kPanic
  std::string error_signature;  // kCustom: canonical, e.g. "OwnableUnauthorizedAccount(address)"
  std::vector<AbiValue> args;   // kCustom
  Bytes raw;                    // the revert data as received, always

  // One line for logs and CLI output, e.g. "reverted: Compose hash not allowed",
  // "panic 0x11: arithmetic overflow or underflow",
  // "OwnableUnauthorizedAccount(0x5B38Da6a701c568545dCfcB03FcB875f56beddC4)",
  // "reverted with unknown data 0xdeadbeef", "reverted without data".
  std::string Describe() const;
};

// Never fails on the data: anything unrecognised is kUnknown. Fails only when a custom error
// signature does not parse (INVALID_ARGUMENT).
absl::StatusOr<Revert> DecodeRevert(ByteView data,
                                    std::span<const std::string> custom_error_signatures = {});

// Meaning of a Solidity panic code ("arithmetic overflow or underflow" for 0x11), or
// "unknown panic code" for codes the compiler does not emit.
std::string PanicDescription(const U256& code);

}  // namespace chainkms
