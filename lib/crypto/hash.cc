#include "lib/crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace chainkms {
namespace {

// OpenSSL treats a null pointer with length 0 inconsistently across APIs; an empty view may
// carry one, so give it a valid address instead.
const uint8_t* NonNull(ByteView v) {
  static const uint8_t kEmpty = 0;
  return v.data() != nullptr ? v.data() : &kEmpty;
}

// These digests cannot fail for in-memory input except on allocation failure, after which the
// process is not in a state worth continuing.
template <size_t N>
FixedBytes<N> Digest(const EVP_MD* md, ByteView data) {
  FixedBytes<N> out;
  unsigned int len = 0;
  if (EVP_Digest(NonNull(data), data.size(), out.data(), &len, md, nullptr) != 1 || len != N) {
    std::abort();
  }
  return out;
}

template <size_t N>
FixedBytes<N> Hmac(const EVP_MD* md, ByteView key, ByteView data) {
  FixedBytes<N> out;
  unsigned int len = 0;
  if (key.size() > static_cast<size_t>(INT32_MAX) ||
      HMAC(md, NonNull(key), static_cast<int>(key.size()), NonNull(data), data.size(), out.data(),
           &len) == nullptr ||
      len != N) {
    std::abort();
  }
  return out;
}

}  // namespace

Hash32 Sha256(ByteView data) { return Digest<32>(EVP_sha256(), data); }
FixedBytes<48> Sha384(ByteView data) { return Digest<48>(EVP_sha384(), data); }
FixedBytes<64> Sha512(ByteView data) { return Digest<64>(EVP_sha512(), data); }
Hash32 HmacSha256(ByteView key, ByteView data) { return Hmac<32>(EVP_sha256(), key, data); }
FixedBytes<64> HmacSha512(ByteView key, ByteView data) {
  return Hmac<64>(EVP_sha512(), key, data);
}

// Written over HMAC rather than EVP_KDF so that empty ikm, salt and info behave exactly as
// RFC 5869 says (OpenSSL's HKDF refuses an empty key).
absl::StatusOr<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info,
                                       size_t length) {
  constexpr size_t kHashLen = 32;
  if (length == 0 || length > 255 * kHashLen) {
    return absl::InvalidArgumentError(
        absl::StrCat("hkdf: length must be 1..8160, got ", length));
  }
  Hash32 prk = HmacSha256(salt, ikm);
  SecretBytes okm(length);
  Bytes block;
  block.reserve(kHashLen + info.size() + 1);
  Hash32 t;
  size_t done = 0;
  for (uint8_t counter = 1; done < length; ++counter) {
    block.clear();
    if (counter > 1) block.insert(block.end(), t.begin(), t.end());
    block.insert(block.end(), info.begin(), info.end());
    block.push_back(counter);
    t = HmacSha256(prk.view(), block);
    const size_t n = std::min(kHashLen, length - done);
    std::copy_n(t.begin(), n, okm.data() + done);
    done += n;
  }
  SecureWipe(prk.mut());
  SecureWipe(t.mut());
  SecureWipe(block);
  return okm;
}

}  // namespace chainkms
