// Keccak-256 as Ethereum uses it (original Keccak padding 0x01, not SHA3-256's 0x06).
// OpenSSL 3.0 has no Keccak-256, so this is our own implementation of Keccak-f[1600].
//
//   Hash32 h = Keccak256(AsBytes("hello"));
//   Keccak256Hasher k; k.Update(a); k.Update(b); Hash32 h2 = k.Finalize();
#pragma once

#include <cstdint>

#include "lib/common/bytes.h"

namespace chainkms {

Hash32 Keccak256(ByteView data) noexcept;

// Incremental form, for hashing pieces without concatenating them.
class Keccak256Hasher {
 public:
  Keccak256Hasher() noexcept = default;
  void Update(ByteView data) noexcept;
  // Returns the digest; the hasher must not be used afterwards (Reset() to reuse).
  Hash32 Finalize() noexcept;
  void Reset() noexcept { *this = Keccak256Hasher(); }

 private:
  static constexpr size_t kRate = 136;
  uint64_t state_[25] = {};
  uint8_t buf_[kRate] = {};
  size_t buf_len_ = 0;
};

// The permutation itself (exposed for tests).
void KeccakF1600(uint64_t state[25]) noexcept;

}  // namespace chainkms
