#include "lib/common/secret_bytes.h"

#include <cstring>

namespace chainkms {

void SecureWipe(std::span<uint8_t> b) {
  if (b.empty()) return;
  explicit_bzero(b.data(), b.size());
}

bool SecretBytes::Equals(ByteView other) const {
  if (other.size() != data_.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < data_.size(); ++i) diff |= data_[i] ^ other[i];
  return diff == 0;
}

}  // namespace chainkms
