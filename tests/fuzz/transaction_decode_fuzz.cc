// Transaction decoding of arbitrary bytes: never crashes; an accepted transaction re-encodes to the
// same bytes, and sender recovery on it does not crash.
#include <cstdlib>

#include "lib/eth/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  chainkms::ByteView in(data, size);
  auto tx = chainkms::DecodeTransaction(in);
  if (!tx.ok()) return 0;
  chainkms::Bytes again = chainkms::EncodeSigned(*tx);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
  (void)chainkms::RecoverSender(*tx);
  return 0;
}
