// A minimal JSON reader that keeps number text exactly as written. cast's to-rlp reads JSON
// numbers as U256 text, so 2^64 and beyond must not go through a double (as nlohmann would).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chainkms::cli {

struct JsonNode {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  std::string text;  // number text as written, or the decoded string
  std::vector<JsonNode> items;  // array elements or object values
};

// The whole text as one JSON value (surrounding whitespace allowed); nullopt if it is not JSON.
std::optional<JsonNode> ParseJsonKeepingNumbers(std::string_view text);

}  // namespace chainkms::cli
