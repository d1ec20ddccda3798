// TDX quote parsing on arbitrary bytes: never crashes, never reads past the end (ASan), and what
// it accepts re-derives its sizes (the signed part is the header plus a TD report of a known size).
#include <cstdlib>

#include "lib/attestation/quote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto q = chainkms::attestation::ParseTdxQuote(chainkms::ByteView(data, size));
  if (!q.ok()) return 0;
  const size_t header = q->header.version == 5 ? 54 : 48;
  const size_t report = q->report.td15 ? 648 : 584;
  if (q->signed_bytes.size() != header + report || q->qe_report_bytes.size() != 384 ||
      q->pck_chain_pem.empty()) {
    std::abort();
  }
  return 0;
}
