#include "services/gateway/confirm_page.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/crypto/hash.h"

namespace chainkms::gateway {

namespace pb = ::chainkms::v1;

namespace {

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}"
    "main{max-width:54rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;"
    "box-shadow:0 1px 3px #0002}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}"
    "dl{display:grid;grid-template-columns:11rem 1fr;gap:.4rem 1rem}dt{font-weight:600}"
    "dd{margin:0;word-break:break-all}code{font-size:.9rem}.ok{color:#116329}.err{color:#a40e26}"
    ".warn{color:#8a4600}input{width:100%;box-sizing:border-box;font-family:monospace;padding:."
    "3rem}"
    "button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}";

constexpr std::string_view kScript =
    "document.getElementById('confirm').addEventListener('submit', async (e) => {\n"
    "  e.preventDefault();\n"
    "  const f = e.target;\n"
    "  const out = document.getElementById('result');\n"
    "  const btn = document.getElementById('confirm-button');\n"
    "  btn.disabled = true;\n"
    "  out.className = '';\n"
    "  out.textContent = 'Committing...';\n"
    "  const tx = document.getElementById('tx-hash').value.trim() || 'already-registered';\n"
    "  try {\n"
    "    const r = await fetch('/api/v1/cvms/' + encodeURIComponent(f.dataset.cvm) +\n"
    "        '/commit-update', {method: 'POST', headers: {'Content-Type': 'application/json'},\n"
    "        body: JSON.stringify({token: f.dataset.token, compose_hash: f.dataset.hash,\n"
    "                              transaction_hash: tx})});\n"
    "    const j = await r.json().catch(() => ({}));\n"
    "    if (r.ok) {\n"
    "      out.className = 'ok';\n"
    "      out.textContent = 'Updated: the CVM now runs compose hash ' + f.dataset.hash;\n"
    "    } else {\n"
    "      const d = j.detail || {};\n"
    "      out.className = 'err';\n"
    "      out.textContent = 'Refused (' + r.status + '): ' + (d.message || d || 'error');\n"
    "      btn.disabled = false;\n"
    "    }\n"
    "  } catch (err) {\n"
    "    out.className = 'err';\n"
    "    out.textContent = 'Network error: ' + err;\n"
    "    btn.disabled = false;\n"
    "  }\n"
    "});\n";

std::string CspHash(std::string_view text) {
  const Hash32 h = Sha256(ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  unsigned char b64[64] = {};
  const int n = EVP_EncodeBlock(b64, h.bytes.data(), static_cast<int>(h.bytes.size()));
  return absl::StrCat("'sha256-", std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n)),
                      "'");
}

std::string ChainName(uint64_t id) {
  switch (id) {
    case 1:
      return "Ethereum";
    case 8453:
      return "Base";
    case 11155111:
      return "Sepolia";
    case 84532:
      return "Base Sepolia";
    case 31337:
      return "Anvil (local)";
    default:
      return "Chain";
  }
}

std::string Status(bool yes, std::string_view what) {
  const std::string w(what);
  return yes ? absl::StrCat(R"(<span class="ok">)", w, " registered</span>")
             : absl::StrCat(R"(<span class="warn">)", w, " NOT registered</span>");
}

HttpResponse Page(int status, std::string body_html) {
  static const std::string csp = absl::StrCat(
      "default-src 'none'; style-src ", CspHash(kStyle), "; script-src ", CspHash(kScript),
      "; connect-src 'self'; base-uri 'none'; form-action 'none'; "
      "frame-ancestors 'none'");
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.headers = {{"Content-Security-Policy", csp}, {"X-Frame-Options", "DENY"}};
  r.body = absl::StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      R"(<meta name="viewport" content="width=device-width, initial-scale=1">)"
      "<title>Confirm CVM update - chainkms</title><style>",
      std::string(kStyle), "</style></head><body><main>", body_html, "</main><script>",
      std::string(kScript), "</script></body></html>\n");
  return r;
}

// A page without the form (the script finds no #confirm and does nothing harmful).
HttpResponse Message(int status, std::string_view title, std::string_view text) {
  return Page(status, absl::StrCat("<h1>", HtmlEscape(title), R"(</h1><p id="result" class="err">)",
                                   HtmlEscape(text),
                                   R"(</p><form id="confirm" hidden></form>)"
                                   R"(<input id="tx-hash" hidden><button id="confirm-button" )"
                                   "hidden></button>"));
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

namespace rest {

HttpResponse ConfirmPage(Call& c) {
  std::string token;
  if (!c.http.QueryParam("token", &token) || token.empty()) {
    return Message(400, "Missing commit token",
                   "This page needs the commit URL's ?token=... parameter.");
  }
  pb::GetPendingUpdateRequest req;
  req.set_cvm_id(c.segments.at(1));
  req.set_token(token);
  pb::GetPendingUpdateResponse resp;
  grpc::Status s =
      Prov(c, &pb::Provisioning::StubInterface::GetPendingUpdate, req, &resp, Idempotency::kRead);
  if (!s.ok()) {
    if (s.error_code() == grpc::StatusCode::NOT_FOUND ||
        s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      return Message(404, "Unknown commit token",
                     "This commit URL is not valid: run the prepare step (--prepare-only) again.");
    }
    HttpResponse e = Error(s);
    return Message(e.status, "Cannot show this update now", "A backend is unavailable; retry.");
  }
  const pb::OnChainHashRequired& u = resp.update();
  const std::string hash = Hex0x(u.compose_hash());
  const std::string app = Hex0x(u.app_id());
  const bool pending = resp.state() == "pending";
  std::string state_html;
  if (!pending) {
    state_html = absl::StrCat(
        R"(<p id="state" class="err">This update is )", HtmlEscape(resp.state()),
        resp.state() == "used" ? ": it was already applied." : ": run the prepare step again.",
        "</p>");
  }
  const std::string expires = absl::FormatTime(
      "%Y-%m-%d %H:%M UTC", absl::FromUnixSeconds(u.expires_at()), absl::UTCTimeZone());
  std::string body = absl::StrCat(
      "<h1>Confirm CVM update</h1>", state_html, R"(<dl><dt>CVM</dt><dd id="cvm">)",
      HtmlEscape(resp.cvm_name()), " (", HtmlEscape(c.segments.at(1)), ")</dd>",
      R"(<dt>Compose hash</dt><dd><code id="compose-hash">)", HtmlEscape(hash), "</code></dd>",
      R"(<dt>App ID</dt><dd><code id="app-id">)", HtmlEscape(app), "</code></dd>",
      R"(<dt>Device ID</dt><dd><code id="device-id">)", HtmlEscape(Hex0x(u.device_id())),
      "</code></dd>", R"(<dt>Chain</dt><dd id="chain">)", HtmlEscape(ChainName(u.kms().chain_id())),
      " (ID: ", u.kms().chain_id(), ")</dd>",
      R"(<dt>KMS contract</dt><dd><code id="kms-contract">)",
      HtmlEscape(Hex0x(u.kms().kms_contract())), "</code></dd>",
      R"(<dt>On-chain status</dt><dd id="onchain-status">)",
      Status(u.onchain_status().compose_hash_allowed(), "Compose hash"), "; ",
      Status(u.onchain_status().device_id_allowed(), "Device ID"), " (block ",
      u.onchain_status().block_number(), ")</dd>", R"(<dt>Expires</dt><dd id="expires">)",
      HtmlEscape(expires), "</dd></dl>",
      "<h2>Propose on chain</h2><p>The app owner (Safe, timelock or DAO) executes <code>",
      HtmlEscape(u.onchain_action().method()), "</code> on the app contract:</p>",
      R"(<dl><dt>To</dt><dd><code id="tx-to">)", HtmlEscape(Hex0x(u.onchain_action().to())),
      R"(</code></dd><dt>Value</dt><dd>0</dd><dt>Calldata</dt><dd><code id="calldata">)",
      HtmlEscape(Hex0x(u.onchain_action().calldata())), "</code></dd></dl>",
      R"(<h2>Then confirm</h2><form id="confirm" data-cvm=")", HtmlEscape(c.segments.at(1)),
      R"(" data-token=")", HtmlEscape(token), R"(" data-hash=")", HtmlEscape(hash),
      R"("><label for="tx-hash">Transaction hash of the addComposeHash execution (optional: )"
      R"(without it the chain is checked for the hash)</label><input id="tx-hash" )"
      R"(autocomplete="off" placeholder="0x..."><button id="confirm-button" type="submit")",
      pending ? "" : " disabled", ">Confirm update</button></form>",
      R"(<p id="result" role="status"></p>)");
  return Page(200, std::move(body));
}

}  // namespace rest

}  // namespace chainkms::gateway
