// Collateral parsing on arbitrary bytes; the first byte picks the parser: 0 the QuoteCollateralV3
// JSON (then PrepareCollateral), 1 TCB info, 2 QE identity, 3 a PCS body sliced for its signed
// member, 4 a PEM chain, 5 a DER CRL. Never crashes; what parses is internally consistent.
#include <cstdlib>
#include <string>
#include <tuple>

#include "lib/attestation/collateral.h"
#include "lib/attestation/pki.h"
#include "lib/kms/pccs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chainkms::attestation;  // NOLINT(google-build-using-namespace)
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto c = ParseCollateralJson(text);
      if (c.ok()) {
        auto p = PrepareCollateral(*c);
        if (p.ok() && (*p)->window_begin > (*p)->window_end + absl::Hours(24 * 365 * 100)) {
          return 0;
        }
      }
      break;
    }
    case 1: {
      auto t = ParseTcbInfo(text);
      if (t.ok()) {
        for (size_t i = 1; i < t->levels.size(); ++i) {
          const auto& a = t->levels[i - 1];
          const auto& b = t->levels[i];
          if (std::tie(a.sgx_components, a.pce_svn, a.tdx_components) <
              std::tie(b.sgx_components, b.pce_svn, b.tdx_components)) {
            std::abort();  // not in canonical (descending) order
          }
        }
      }
      break;
    }
    case 2:
      (void)ParseQeIdentity(text);
      break;
    case 3: {
      auto m = chainkms::kms::RawJsonMember(text, "tcbInfo");
      if (m.ok() && text.find(*m) == std::string::npos) std::abort();
      break;
    }
    case 4: {
      auto chain = ParsePemChain(text, "fuzz");
      if (chain.ok() && chain->certs.size() != chain->der.size()) std::abort();
      break;
    }
    case 5:
      (void)ParseCrlDer(chainkms::ByteView(data + 1, size - 1), "fuzz");
      break;
  }
  return 0;
}
