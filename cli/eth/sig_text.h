// Canonical text of a human-readable function or event signature, the way cast sig /
// cast sig-event hash it. Unlike lib/eth's ParseSignature this keeps unknown type names verbatim
// (`foo(bar)` hashes "foo(bar)"), as alloy's parser does.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace chainkms::cli {

enum class SigKind { kFunction, kEvent };

// "function transfer(address to, uint amount) external returns (bool)" -> "transfer(address,uint256)"
absl::StatusOr<std::string> CanonicalSignature(std::string_view text, SigKind kind);

}  // namespace chainkms::cli
