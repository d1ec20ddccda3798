#include "lib/webhook/target.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace chainkms::webhook {
namespace {

absl::Status Bad(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("webhook url: ", std::string(what)));
}

bool InV4(const uint8_t a[4], uint32_t net, int bits) {
  const uint32_t v = (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (v & mask) == (net & mask);
}

std::string BlockedV4(const uint8_t a[4]) {
  struct Range {
    uint32_t net;
    int bits;
    const char* what;
  };
  static constexpr std::array<Range, 11> kRanges = {{
      {0x00000000, 8, "unspecified"},
      {0x0a000000, 8, "private"},
      {0x64400000, 10, "carrier-grade NAT"},
      {0x7f000000, 8, "loopback"},
      {0xa9fe0000, 16, "link-local (cloud metadata)"},
      {0xac100000, 12, "private"},
      {0xc0000000, 24, "IETF protocol"},
      {0xc0a80000, 16, "private"},
      {0xc6120000, 15, "benchmarking"},
      {0xe0000000, 4, "multicast"},
      {0xf0000000, 4, "reserved"},
  }};
  for (const Range& r : kRanges) {
    if (InV4(a, r.net, r.bits)) return r.what;
  }
  return "";
}

std::string Blocked(std::string_view ip, bool* parsed) {
  const std::string s(ip);
  uint8_t v4[4];
  uint8_t v6[16];
  *parsed = true;
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) return BlockedV4(v4);
  if (inet_pton(AF_INET6, s.c_str(), v6) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6, kMapped, 12) == 0) return BlockedV4(v6 + 12);  // ::ffff:a.b.c.d
    bool zero = true;
    for (int i = 0; i < 15; ++i) zero = zero && v6[i] == 0;
    if (zero && v6[15] == 0) return "unspecified";
    if (zero && v6[15] == 1) return "loopback";
    if ((v6[0] & 0xfe) == 0xfc) return "unique local";
    if (v6[0] == 0xfe && (v6[1] & 0xc0) == 0x80) return "link-local";
    if (v6[0] == 0xff) return "multicast";
    if (v6[0] == 0xfd && v6[1] == 0x00 && v6[2] == 0x0e && v6[3] == 0xc2) return "cloud metadata";
    return "";
  }
  *parsed = false;
  return "";
}

}  // namespace

absl::Status CheckWebhookAddress(std::string_view ip, bool allow_private) {
  bool parsed = false;
  const std::string why = Blocked(ip, &parsed);
  if (!parsed) return Bad(absl::StrCat("\"", std::string(ip), "\" is not an IP address"));
  if (!why.empty() && !allow_private) {
    return absl::PermissionDeniedError(
        absl::StrCat("webhook target ", std::string(ip), " is a ", why,
                     " address; delivery there is refused (--webhook-allow-private allows it)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<WebhookUrl> CheckWebhookUrl(std::string_view url, bool allow_private) {
  if (url.size() > 2048) return Bad("longer than 2048 characters");
  WebhookUrl out;
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return Bad("needs http:// or https://");
  out.scheme = absl::AsciiStrToLower(std::string(url.substr(0, scheme_end)));
  if (out.scheme != "http" && out.scheme != "https") return Bad("scheme must be http or https");
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find('#') != std::string_view::npos) return Bad("fragments are not allowed");
  const size_t path = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path);
  out.path_and_query = path == std::string_view::npos ? "/" : std::string(rest.substr(path));
  if (out.path_and_query[0] == '?') out.path_and_query = "/" + out.path_and_query;
  if (authority.find('@') != std::string_view::npos) return Bad("credentials are not allowed");
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad("unterminated IPv6 literal");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad("bad port");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Bad("no host");
  out.host = absl::AsciiStrToLower(out.host);
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port.empty() &&
      (!absl::SimpleAtoi(std::string(port), &out.port) || out.port < 1 || out.port > 65535)) {
    return Bad("bad port");
  }
  bool literal = false;
  const std::string why = Blocked(out.host, &literal);
  if (!allow_private) {
    if (literal && !why.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("webhook url: ", out.host, " is a ", why,
                       " address (--webhook-allow-private allows it)"));
    }
    if (!literal &&
        (out.host == "localhost" || absl::EndsWith(out.host, ".localhost") ||
         out.host == "metadata.google.internal" || absl::EndsWith(out.host, ".internal"))) {
      return absl::InvalidArgumentError(absl::StrCat("webhook url: ", out.host,
                                                     " is a local name (--webhook-allow-private "
                                                     "allows it)"));
    }
  }
  return out;
}

}  // namespace chainkms::webhook
