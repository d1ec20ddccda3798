#include "lib/kms/pccs.h"

#include <openssl/x509v3.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/attestation/pki.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/jsonrpc/curl_transport.h"
#include "nlohmann/json.hpp"

namespace chainkms::kms {
namespace {

using attestation::Collateral;
using attestation::PckCa;

// Skips one JSON value starting at `i` (already validated by nlohmann); returns the end index.
size_t SkipValue(std::string_view s, size_t i) {
  if (s[i] == '"') {
    for (++i; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
      } else if (s[i] == '"') {
        return i + 1;
      }
    }
    return s.size();
  }
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '"') {
        i = SkipValue(s, i) - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return s.size();
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' &&
         !absl::ascii_isspace(static_cast<unsigned char>(s[i]))) {
    ++i;
  }
  return i;
}

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && absl::ascii_isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigitValue(s[i + 1]) >= 0 &&
        HexDigitValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

absl::StatusOr<std::string> Header(const CurlTransport::HttpResponse& r,
                                   std::initializer_list<const char*> names,
                                   std::string_view what) {
  for (const char* n : names) {
    auto it = r.headers.find(n);
    if (it != r.headers.end()) return PercentDecode(it->second);
  }
  return absl::UnavailableError(
      absl::StrCat(std::string(what), ": no ", *names.begin(), " header"));
}

// {"<member>":{…},"signature":"<hex r‖s>"} → (exact member text, signature).
absl::Status SignedDocument(std::string_view body, std::string_view member, std::string* text,
                            FixedBytes<64>* signature) {
  ASSIGN_OR_RETURN(*text, RawJsonMember(body, member));
  ASSIGN_OR_RETURN(std::string sig_json, RawJsonMember(body, "signature"));
  nlohmann::json sig = nlohmann::json::parse(sig_json, nullptr, false);
  if (!sig.is_string()) return absl::InvalidArgumentError("signature is not a string");
  ASSIGN_OR_RETURN(Bytes raw,
                   HexDecode(sig.get<std::string>(), HexPrefix::kForbidden, "signature"));
  std::optional<FixedBytes<64>> fixed = FixedBytes<64>::TryFrom(raw);
  if (!fixed) return absl::InvalidArgumentError("signature is not 64 bytes");
  *signature = *fixed;
  return absl::OkStatus();
}

// The CRL distribution point URI of the pinned root.
std::string RootCrlUri() {
  auto* dps = static_cast<CRL_DIST_POINTS*>(X509_get_ext_d2i(
      attestation::IntelSgxRootCa(), NID_crl_distribution_points, nullptr, nullptr));
  std::string uri;
  for (int i = 0; dps != nullptr && i < sk_DIST_POINT_num(dps) && uri.empty(); ++i) {
    DIST_POINT* dp = sk_DIST_POINT_value(dps, i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;
    GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      GENERAL_NAME* n = sk_GENERAL_NAME_value(names, j);
      if (n->type == GEN_URI) {
        const ASN1_IA5STRING* s = n->d.uniformResourceIdentifier;
        uri.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                   static_cast<size_t>(ASN1_STRING_length(s)));
        break;
      }
    }
  }
  CRL_DIST_POINTS_free(dps);
  return uri;
}

}  // namespace

absl::StatusOr<std::string> RawJsonMember(std::string_view body, std::string_view name) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  size_t i = SkipSpace(body, 0) + 1;  // past '{'
  while (true) {
    i = SkipSpace(body, i);
    if (i >= body.size() || body[i] != '"') break;
    const size_t key_end = SkipValue(body, i);
    const std::string key = nlohmann::json::parse(body.substr(i, key_end - i)).get<std::string>();
    i = SkipSpace(body, key_end) + 1;  // past ':'
    i = SkipSpace(body, i);
    const size_t value_end = SkipValue(body, i);
    if (key == name) return std::string(body.substr(i, value_end - i));
    i = SkipSpace(body, value_end);
    if (i < body.size() && body[i] == ',') ++i;
  }
  return absl::NotFoundError(absl::StrCat("no member ", std::string(name)));
}

absl::StatusOr<attestation::CollateralFetcher> PccsFetcher(PccsOptions options) {
  std::string base = options.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  for (const std::string suffix : {"/sgx/certification/v4", "/tdx/certification/v4"}) {
    if (absl::EndsWith(base, suffix)) base.resize(base.size() - suffix.size());
  }
  ASSIGN_OR_RETURN(std::shared_ptr<CurlTransport> pccs,
                   CurlTransport::Create({.url = base, .total_timeout = options.timeout}));
  const std::string root_crl_uri = RootCrlUri();
  return [pccs, root_crl_uri, timeout = options.timeout](const FixedBytes<6>& fmspc,
                                                         PckCa ca) -> absl::StatusOr<Collateral> {
    auto fail = [&](std::string_view what, const absl::Status& s) {
      return absl::UnavailableError(absl::StrCat("PCCS ", pccs->Describe(), " ", std::string(what),
                                                 ": ", std::string(s.message())));
    };
    Collateral c;
    absl::StatusOr<CurlTransport::HttpResponse> crl = pccs->Get(
        absl::StrCat("/sgx/certification/v4/pckcrl?ca=", std::string(attestation::PckCaName(ca)),
                     "&encoding=der"));
    if (!crl.ok()) return fail("pckcrl", crl.status());
    c.pck_crl.assign(crl->body.begin(), crl->body.end());
    absl::StatusOr<std::string> chain = Header(*crl, {"sgx-pck-crl-issuer-chain"}, "pckcrl");
    if (!chain.ok()) return fail("pckcrl", chain.status());
    c.pck_crl_issuer_chain = *chain;

    const std::string hex_fmspc = absl::AsciiStrToUpper(HexEncode(fmspc.view()));
    absl::StatusOr<CurlTransport::HttpResponse> tcb =
        pccs->Get(absl::StrCat("/tdx/certification/v4/tcb?fmspc=", hex_fmspc));
    if (!tcb.ok()) return fail("tcb", tcb.status());
    chain = Header(*tcb, {"tcb-info-issuer-chain", "sgx-tcb-info-issuer-chain"}, "tcb");
    if (!chain.ok()) return fail("tcb", chain.status());
    c.tcb_info_issuer_chain = *chain;
    if (absl::Status s = SignedDocument(tcb->body, "tcbInfo", &c.tcb_info, &c.tcb_info_signature);
        !s.ok()) {
      return fail("tcb", s);
    }

    absl::StatusOr<CurlTransport::HttpResponse> qe =
        pccs->Get("/tdx/certification/v4/qe/identity?update=standard");
    if (!qe.ok()) return fail("qe/identity", qe.status());
    chain = Header(*qe, {"sgx-enclave-identity-issuer-chain"}, "qe/identity");
    if (!chain.ok()) return fail("qe/identity", chain.status());
    c.qe_identity_issuer_chain = *chain;
    if (absl::Status s =
            SignedDocument(qe->body, "enclaveIdentity", &c.qe_identity, &c.qe_identity_signature);
        !s.ok()) {
      return fail("qe/identity", s);
    }

    absl::StatusOr<CurlTransport::HttpResponse> root = pccs->Get("/sgx/certification/v4/rootcacrl");
    if (root.ok()) {
      const std::string body(absl::StripAsciiWhitespace(root->body));
      absl::StatusOr<Bytes> der = HexDecode(body, HexPrefix::kForbidden);
      c.root_ca_crl = der.ok() ? *der : Bytes(root->body.begin(), root->body.end());
    } else if (!root_crl_uri.empty()) {
      absl::StatusOr<std::shared_ptr<CurlTransport>> intel =
          CurlTransport::Create({.url = root_crl_uri, .total_timeout = timeout});
      if (!intel.ok()) return fail("root CA CRL", intel.status());
      absl::StatusOr<CurlTransport::HttpResponse> der = (*intel)->Get("");
      if (!der.ok()) return fail("root CA CRL", der.status());
      c.root_ca_crl.assign(der->body.begin(), der->body.end());
    } else {
      return fail("rootcacrl", root.status());
    }
    return c;
  };
}

}  // namespace chainkms::kms
