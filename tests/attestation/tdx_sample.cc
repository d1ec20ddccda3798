#include "tests/attestation/tdx_sample.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "lib/attestation/quote.h"

namespace chainkms::attestation::tdxtest {
namespace {

std::filesystem::path VectorsDir() {
  if (const char* d = std::getenv("CHAINKMS_VECTORS_DIR"); d != nullptr) return d;
  return std::filesystem::path(CHAINKMS_DEFAULT_VECTORS_DIR);
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::cerr << "missing " << p << "\n";
    std::abort();
  }
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// The [begin, end) of the base64 body of PEM block `k` in `pem`.
struct PemBlock {
  size_t begin = 0;
  size_t end = 0;
};
std::vector<PemBlock> PemBlocks(std::string_view pem) {
  constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----\n";
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<PemBlock> out;
  for (size_t at = 0; (at = pem.find(kBegin, at)) != std::string_view::npos;) {
    const size_t b = at + kBegin.size();
    const size_t e = pem.find(kEnd, b);
    out.push_back({b, e});
    at = e;
  }
  return out;
}

std::string StripNewlines(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '\n') out += c;
  }
  return out;
}

Bytes Base64Decode(const std::string& b64) {
  Bytes out(b64.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  size_t pad = 0;
  for (size_t i = b64.size(); i > 0 && b64[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string Base64Encode(const Bytes& der) {
  std::string out(((der.size() + 2) / 3) * 4 + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), der.data(),
                          static_cast<int>(der.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// DER sizes of the certificates in a PEM chain.
std::vector<size_t> DerSizes(std::string_view pem) {
  std::vector<size_t> out;
  for (const PemBlock& b : PemBlocks(pem)) {
    out.push_back(Base64Decode(StripNewlines(pem.substr(b.begin, b.end - b.begin))).size());
  }
  return out;
}

// Flips DER byte `i` of certificate `k` and re-encodes it in place (same length, same wrapping).
void FlipPemDer(std::string& pem, size_t k, size_t i) {
  const PemBlock b = PemBlocks(pem)[k];
  const std::string body = pem.substr(b.begin, b.end - b.begin);
  Bytes der = Base64Decode(StripNewlines(body));
  der[i] ^= 0x01;
  const std::string b64 = Base64Encode(der);
  std::string wrapped;
  size_t src = 0;
  for (char c : body) {
    wrapped += c == '\n' ? '\n' : b64[src++];
  }
  pem.replace(b.begin, body.size(), wrapped);
}

void FlipString(std::string& s, size_t i) { s[i] = static_cast<char>(s[i] ^ 0x01); }

}  // namespace

const Sample& LoadSample() {
  static const Sample* sample = [] {
    auto* s = new Sample;
    const std::string q = ReadFile(VectorsDir() / "tdx" / "tdx_quote.bin");
    s->quote.assign(q.begin(), q.end());
    absl::StatusOr<Collateral> c =
        ParseCollateralJson(ReadFile(VectorsDir() / "tdx" / "tdx_quote_collateral.json"));
    if (!c.ok()) {
      std::cerr << c.status() << "\n";
      std::abort();
    }
    s->collateral = *std::move(c);
    return s;
  }();
  return *sample;
}

Verdict Judge(const Bytes& quote, const Collateral& collateral, absl::Time now) {
  Verdict v;
  absl::StatusOr<std::shared_ptr<const PreparedCollateral>> prepared =
      PrepareCollateral(collateral);
  if (!prepared.ok()) {
    v.step = "collateral";
    v.message = std::string(prepared.status().message());
    return v;
  }
  absl::StatusOr<VerifiedQuote> r = VerifyTdxQuote(quote, **prepared, now);
  if (!r.ok()) {
    v.message = std::string(r.status().message());
    // "TDX quote refused (<step>): ..."
    const size_t open = v.message.find('(');
    const size_t close = v.message.find("): ");
    if (open != std::string::npos && close != std::string::npos) {
      v.step = v.message.substr(open + 1, close - open - 1);
    }
    return v;
  }
  v.ok = true;
  v.status = r->status;
  v.advisory_ids = r->advisory_ids;
  return v;
}

std::vector<Region> SignedRegions() {
  const Sample& s = LoadSample();
  const absl::StatusOr<TdxQuote> q = ParseTdxQuote(s.quote);
  if (!q.ok()) std::abort();
  std::vector<Region> out;
  auto quote_range = [&](std::string name, size_t at, size_t size, std::vector<std::string> steps) {
    out.push_back({std::move(name), size, std::move(steps),
                   [at](Sample& x, size_t i) { x.quote[at + i] ^= 0x01; }});
  };
  // ATTESTATION.md §1 offsets for a v4 TD 1.0 quote with 32-byte QE auth data (asserted by the
  // parse tests).
  quote_range("header", 0, 48, {"parse", "header", "quote_signature"});
  quote_range("body", 48, 584, {"quote_signature"});
  quote_range("quote_signature", 636, 64, {"quote_signature"});
  quote_range("attestation_key", 700, 64, {"qe_report_data"});
  quote_range("qe_report", 770, 384, {"qe_report_signature"});
  quote_range("qe_report_signature", 1154, 64, {"qe_report_signature"});
  // The PCK chain's certificates, DER byte by DER byte (the PEM in the quote re-encoded in place).
  constexpr std::ptrdiff_t kPemAt = 1258;
  const std::vector<size_t> pck = DerSizes(q->pck_chain_pem);
  for (size_t k = 0; k < pck.size(); ++k) {
    out.push_back(
        {"pck_chain[" + std::to_string(k) + "]",
         pck[k],
         {"pck_chain"},
         [k, len = static_cast<std::ptrdiff_t>(q->pck_chain_pem.size())](Sample& x, size_t i) {
           std::string pem(x.quote.begin() + kPemAt, x.quote.begin() + kPemAt + len);
           FlipPemDer(pem, k, i);
           std::copy(pem.begin(), pem.end(), x.quote.begin() + kPemAt);
         }});
  }
  const Collateral& c = s.collateral;
  out.push_back(
      {"tcb_info", c.tcb_info.size(), {"collateral", "tcb_info"}, [](Sample& x, size_t i) {
         FlipString(x.collateral.tcb_info, i);
       }});
  out.push_back({"tcb_info_signature", 64, {"tcb_info"}, [](Sample& x, size_t i) {
                   x.collateral.tcb_info_signature[i] ^= 0x01;
                 }});
  out.push_back(
      {"qe_identity", c.qe_identity.size(), {"collateral", "qe_identity"}, [](Sample& x, size_t i) {
         FlipString(x.collateral.qe_identity, i);
       }});
  out.push_back({"qe_identity_signature", 64, {"qe_identity"}, [](Sample& x, size_t i) {
                   x.collateral.qe_identity_signature[i] ^= 0x01;
                 }});
  out.push_back(
      {"root_ca_crl", c.root_ca_crl.size(), {"collateral", "root_ca"}, [](Sample& x, size_t i) {
         x.collateral.root_ca_crl[i] ^= 0x01;
       }});
  out.push_back({"pck_crl",
                 c.pck_crl.size(),
                 {"collateral", "root_ca", "pck_chain"},
                 [](Sample& x, size_t i) { x.collateral.pck_crl[i] ^= 0x01; }});
  const std::vector<size_t> tcb = DerSizes(c.tcb_info_issuer_chain);
  for (size_t k = 0; k < tcb.size(); ++k) {
    out.push_back(
        {"tcb_info_issuer_chain[" + std::to_string(k) + "]",
         tcb[k],
         {"collateral", "tcb_info"},
         [k](Sample& x, size_t i) { FlipPemDer(x.collateral.tcb_info_issuer_chain, k, i); }});
  }
  const std::vector<size_t> qe = DerSizes(c.qe_identity_issuer_chain);
  for (size_t k = 0; k < qe.size(); ++k) {
    out.push_back(
        {"qe_identity_issuer_chain[" + std::to_string(k) + "]",
         qe[k],
         {"collateral", "qe_identity"},
         [k](Sample& x, size_t i) { FlipPemDer(x.collateral.qe_identity_issuer_chain, k, i); }});
  }
  return out;
}

}  // namespace chainkms::attestation::tdxtest
