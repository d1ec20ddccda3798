#include "lib/crypto/aes.h"

#include <openssl/evp.h>

#include <climits>
#include <memory>

#include "absl/strings/str_cat.h"

namespace chainkms {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

constexpr size_t kGcmTagSize = 16;

CipherCtx NewCtx() { return CipherCtx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free); }

absl::Status CheckSize(ByteView v, size_t want, const char* what) {
  if (v.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be ", want, " bytes, got ", v.size()));
  }
  return absl::OkStatus();
}

// OpenSSL's update functions take int lengths.
absl::Status CheckLength(ByteView v, const char* what) {
  if (v.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is too large"));
  }
  return absl::OkStatus();
}

absl::Status OpenSslError(const char* fn) {
  return absl::InternalError(absl::StrCat("OpenSSL ", fn, " failed"));
}

}  // namespace

absl::StatusOr<Bytes> Aes256GcmEncrypt(ByteView key, ByteView iv, ByteView plaintext,
                                       ByteView aad) {
  if (auto s = CheckSize(key, 32, "aes-256-gcm key"); !s.ok()) return s;
  if (auto s = CheckSize(iv, 12, "aes-256-gcm iv"); !s.ok()) return s;
  if (auto s = CheckLength(plaintext, "plaintext"); !s.ok()) return s;
  if (auto s = CheckLength(aad, "aad"); !s.ok()) return s;
  CipherCtx ctx = NewCtx();
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv.data()) != 1) {
    return OpenSslError("EVP_EncryptInit_ex");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return OpenSslError("EVP_EncryptUpdate(aad)");
  }
  Bytes out(plaintext.size() + kGcmTagSize);
  int total = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(),
                          static_cast<int>(plaintext.size())) != 1) {
      return OpenSslError("EVP_EncryptUpdate");
    }
    total = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + total, &len) != 1) {
    return OpenSslError("EVP_EncryptFinal_ex");
  }
  total += len;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, out.data() + total) != 1) {
    return OpenSslError("EVP_CTRL_GCM_GET_TAG");
  }
  out.resize(total + kGcmTagSize);
  return out;
}

absl::StatusOr<SecretBytes> Aes256GcmDecrypt(ByteView key, ByteView iv,
                                             ByteView ciphertext_and_tag, ByteView aad) {
  if (auto s = CheckSize(key, 32, "aes-256-gcm key"); !s.ok()) return s;
  if (auto s = CheckSize(iv, 12, "aes-256-gcm iv"); !s.ok()) return s;
  if (ciphertext_and_tag.size() < kGcmTagSize) {
    return absl::InvalidArgumentError("aes-256-gcm ciphertext is shorter than the 16-byte tag");
  }
  if (auto s = CheckLength(ciphertext_and_tag, "ciphertext"); !s.ok()) return s;
  if (auto s = CheckLength(aad, "aad"); !s.ok()) return s;
  const ByteView ct = ciphertext_and_tag.first(ciphertext_and_tag.size() - kGcmTagSize);
  const ByteView tag = ciphertext_and_tag.last(kGcmTagSize);

  CipherCtx ctx = NewCtx();
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), iv.data()) != 1) {
    return OpenSslError("EVP_DecryptInit_ex");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1) {
    return OpenSslError("EVP_DecryptUpdate(aad)");
  }
  SecretBytes out(ct.size());
  int total = 0;
  if (!ct.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, ct.data(), static_cast<int>(ct.size())) != 1) {
      return OpenSslError("EVP_DecryptUpdate");
    }
    total = len;
  }
  // The ctrl takes a non-const pointer but only reads the tag.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize,
                          const_cast<uint8_t*>(tag.data())) != 1) {
    return OpenSslError("EVP_CTRL_GCM_SET_TAG");
  }
  // `out` is wiped by its destructor when the tag does not match, so no unauthenticated
  // plaintext escapes.
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + total, &len) != 1) {
    return absl::InvalidArgumentError("aes-256-gcm: authentication failed");
  }
  return out;
}

absl::StatusOr<Bytes> Aes128Ctr(ByteView key, ByteView iv, ByteView data) {
  if (auto s = CheckSize(key, 16, "aes-128-ctr key"); !s.ok()) return s;
  if (auto s = CheckSize(iv, 16, "aes-128-ctr iv"); !s.ok()) return s;
  if (auto s = CheckLength(data, "data"); !s.ok()) return s;
  CipherCtx ctx = NewCtx();
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key.data(), iv.data()) != 1) {
    return OpenSslError("EVP_EncryptInit_ex");
  }
  Bytes out(data.size());
  int len = 0;
  int total = 0;
  if (!data.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, data.data(), static_cast<int>(data.size())) != 1) {
      return OpenSslError("EVP_EncryptUpdate");
    }
    total = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + total, &len) != 1) {
    return OpenSslError("EVP_EncryptFinal_ex");
  }
  return out;
}

}  // namespace chainkms
