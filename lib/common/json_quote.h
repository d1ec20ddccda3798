// A UTF-8 string as a JSON string literal, exactly as JavaScript's JSON.stringify writes it —
// which is also RFC 8785's (JCS) form: '"' and '\\' escaped, \b \f \n \r \t, other control
// characters as \u00xx (lower-case hex), everything else (all other UTF-8) verbatim.
//
//   JsonQuote("a\"b\n") == R"("a\"b\n")"
#pragma once

#include <string>
#include <string_view>

namespace chainkms {

std::string JsonQuote(std::string_view utf8);
void AppendJsonQuoted(std::string& out, std::string_view utf8);

}  // namespace chainkms
