// FakePccs: an Intel PCS / PCCS (API v4) on 127.0.0.1 serving one collateral, in the wire format
// lib/kms/pccs.h fetches (binary CRLs, {"tcbInfo":…,"signature":…} bodies, URL-encoded issuer
// chains in headers, the root CRL as hex text), counting requests; `fail_with` answers every
// request with that HTTP status instead.
//
//   FakePccs pccs(sample_collateral);
//   ASSERT_TRUE(pccs.server().Start().ok());
//   PccsFetcher({.url = pccs.server().url()});
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "lib/attestation/collateral.h"
#include "lib/testing/http_test_server.h"

namespace chainkms::testutil {

class FakePccs {
 public:
  explicit FakePccs(attestation::Collateral collateral);
  HttpTestServer& server() { return *server_; }
  std::atomic<int> fail_with{0};
  // The request targets seen, in order.
  std::vector<std::string> targets() const;

 private:
  attestation::Collateral collateral_;
  mutable chainkms::Mutex mu_;
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<HttpTestServer> server_;
};

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string PercentEncode(std::string_view s);

}  // namespace chainkms::testutil
