#include "lib/common/secret_bytes.h"

#include <cstring>

namespace chainkms {

void SecureWipe(std::span<uint8_t> b) {
  if (b.empty()) return;
  explicit_bzero(b.data(), b.size());
}

bool ConstantTimeEquals(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  // volatile keeps the compiler from turning the loop into an early-exit compare.
  volatile uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

bool SecretBytes::Equals(ByteView other) const { return ConstantTimeEquals(view(), other); }

}  // namespace chainkms
