#include "lib/crypto/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <initializer_list>

#include "lib/common/secret_bytes.h"

#include "absl/strings/str_cat.h"

namespace chainkms {
namespace {

// OpenSSL treats a null pointer with length 0 inconsistently across APIs; an empty view may
// carry one, so give it a valid address instead.
const uint8_t* NonNull(ByteView v) {
  static const uint8_t kEmpty = 0;
  return v.data() != nullptr ? v.data() : &kEmpty;
}

// The digests fetched once: OpenSSL 3.0's implicit fetch (EVP_sha256() in EVP_Digest, the
// one-shot HMAC()) takes locks and string compares on every call, costing more than hashing a
// key. Fetched algorithms are immutable and shared by all threads.
const EVP_MD* Md(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) std::abort();
  return md;
}
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = Md("SHA256");
  return md;
}
const EVP_MD* Sha384Md() {
  static const EVP_MD* const md = Md("SHA384");
  return md;
}
const EVP_MD* Sha512Md() {
  static const EVP_MD* const md = Md("SHA512");
  return md;
}

// These digests cannot fail for in-memory input except on allocation failure, after which the
// process is not in a state worth continuing.
template <size_t N>
FixedBytes<N> Digest(const EVP_MD* md, std::initializer_list<ByteView> parts) {
  FixedBytes<N> out;
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex2(ctx, md, nullptr) == 1;
  for (ByteView p : parts) ok = ok && EVP_DigestUpdate(ctx, NonNull(p), p.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1 && len == N;
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();
  return out;
}

// RFC 2104 over the fetched digest; `Block` is its block size (64 for SHA-256, 128 for SHA-512).
template <size_t N, size_t Block>
FixedBytes<N> Hmac(const EVP_MD* md, ByteView key, ByteView data) {
  uint8_t k[Block] = {};
  if (key.size() > Block) {
    const FixedBytes<N> h = Digest<N>(md, {key});
    std::copy(h.begin(), h.end(), k);
  } else {
    std::copy(key.begin(), key.end(), k);
  }
  uint8_t ipad[Block], opad[Block];
  for (size_t i = 0; i < Block; ++i) {
    ipad[i] = k[i] ^ 0x36;
    opad[i] = k[i] ^ 0x5c;
  }
  FixedBytes<N> inner = Digest<N>(md, {ByteView(ipad, Block), data});
  FixedBytes<N> out = Digest<N>(md, {ByteView(opad, Block), inner.view()});
  SecureWipe(std::span<uint8_t>(k, Block));
  SecureWipe(std::span<uint8_t>(ipad, Block));
  SecureWipe(std::span<uint8_t>(opad, Block));
  SecureWipe(inner.mut());
  return out;
}

}  // namespace

Hash32 Sha256(ByteView data) { return Digest<32>(Sha256Md(), {data}); }
FixedBytes<48> Sha384(ByteView data) { return Digest<48>(Sha384Md(), {data}); }
FixedBytes<64> Sha512(ByteView data) { return Digest<64>(Sha512Md(), {data}); }
Hash32 HmacSha256(ByteView key, ByteView data) { return Hmac<32, 64>(Sha256Md(), key, data); }
FixedBytes<64> HmacSha512(ByteView key, ByteView data) {
  return Hmac<64, 128>(Sha512Md(), key, data);
}

// Written over HMAC rather than EVP_KDF so that empty ikm, salt and info behave exactly as
// RFC 5869 says (OpenSSL's HKDF refuses an empty key).
absl::StatusOr<SecretBytes> HkdfSha256(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  constexpr size_t kHashLen = 32;
  if (length == 0 || length > 255 * kHashLen) {
    return absl::InvalidArgumentError(absl::StrCat("hkdf: length must be 1..8160, got ", length));
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
