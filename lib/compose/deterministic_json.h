// JSON exactly as the dstack SDK's getComposeHash writes it (DESIGN §5.2):
// JSON.stringify of the value with every object's keys sorted — so, byte for byte, what
// JavaScript does:
//   - keys sorted by UTF-16 code units (Array.prototype.sort), then laid out in JavaScript's
//     property order: array-index keys ("0" … "4294967294") first in numeric order, then the rest;
//   - numbers are IEEE doubles printed by Number.prototype.toString (shortest round trip,
//     "1e+21", "1e-7", -0 → "0"); NaN and ±Infinity become null;
//   - strings escape only '"', '\\', \b \f \n \r \t and other controls (\u00XX); all other
//     UTF-8 is written as is; compact, no spaces.
//
//   ASSIGN_OR_RETURN(std::string bytes, DeterministicJsonFromText(R"({"b":1,"a":[3.14,1e21]})"));
//   // {"a":[3.14,1e+21],"b":1}
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace chainkms::compose {

// DeterministicJsonFromText parses `text` (strict JSON: UTF-8, no duplicate keys, at most 64 levels
// deep) and writes it deterministically. INVALID_ARGUMENT naming the problem otherwise.
absl::StatusOr<std::string> DeterministicJsonFromText(std::string_view text);
// The same for a value already parsed (numbers are taken as doubles, as JavaScript does).
std::string DeterministicJson(const nlohmann::json& value);

// Parses strictly (as DeterministicJson does) without writing.
absl::StatusOr<nlohmann::json> ParseStrictJson(std::string_view text, std::string_view what);

// Number.prototype.toString for a finite double.
std::string JsNumberToString(double v);
// (JSON.stringify of a string is JsonQuote, lib/common/json_quote.h.)

}  // namespace chainkms::compose
