#include "lib/crypto/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace chainkms {

void SecureRandom(std::span<uint8_t> out) {
  // RAND_bytes takes an int length; fill large buffers in pieces.
  constexpr size_t kChunk = 1 << 30;
  for (size_t off = 0; off < out.size(); off += kChunk) {
    const size_t n = std::min(kChunk, out.size() - off);
    if (RAND_bytes(out.data() + off, static_cast<int>(n)) != 1) {
      std::fputs("chainkms: RAND_bytes failed; aborting\n", stderr);
      std::abort();
    }
  }
}

Bytes RandomBytes(size_t n) {
  Bytes b(n);
  SecureRandom(b);
  return b;
}

SecretBytes RandomSecret(size_t n) {
  SecretBytes s(n);
  SecureRandom(s.mut());
  return s;
}

}  // namespace chainkms
