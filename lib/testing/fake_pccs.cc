#include "lib/testing/fake_pccs.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/common/hex.h"

namespace chainkms::testutil {

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

FakePccs::FakePccs(attestation::Collateral collateral) : collateral_(std::move(collateral)) {
  server_ = std::make_unique<HttpTestServer>(
      HttpTestServer::TargetHandler([this](const std::string& target, const std::string&) {
        {
          chainkms::MutexLock l(&mu_);
          targets_.push_back(target);
        }
        HttpTestServer::Response r;
        if (const int status = fail_with.load(); status != 0) {
          r.status = status;
          r.body = "unavailable";
          return r;
        }
        const attestation::Collateral& c = collateral_;
        if (absl::StartsWith(target, "/sgx/certification/v4/pckcrl?")) {
          r.body.assign(c.pck_crl.begin(), c.pck_crl.end());
          r.headers = {{"Content-Type", "application/pkix-crl"},
                       {"SGX-PCK-CRL-Issuer-Chain", PercentEncode(c.pck_crl_issuer_chain)}};
        } else if (absl::StartsWith(target, "/tdx/certification/v4/tcb?fmspc=")) {
          r.body = absl::StrCat(R"({"tcbInfo":)", c.tcb_info, R"(,"signature":")",
                                HexEncode(c.tcb_info_signature.view()), R"("})");
          r.headers = {{"TCB-Info-Issuer-Chain", PercentEncode(c.tcb_info_issuer_chain)}};
        } else if (target == "/tdx/certification/v4/qe/identity?update=standard") {
          r.body = absl::StrCat(R"({"enclaveIdentity":)", c.qe_identity, R"(,"signature":")",
                                HexEncode(c.qe_identity_signature.view()), R"("})");
          r.headers = {
              {"SGX-Enclave-Identity-Issuer-Chain", PercentEncode(c.qe_identity_issuer_chain)}};
        } else if (target == "/sgx/certification/v4/rootcacrl") {
          r.body = HexEncode(c.root_ca_crl);
          r.headers = {{"Content-Type", "text/plain"}};
        } else {
          r.status = 404;
          r.body = "not found";
        }
        return r;
      }));
}

std::vector<std::string> FakePccs::targets() const {
  chainkms::MutexLock l(&mu_);
  return targets_;
}

}  // namespace chainkms::testutil
