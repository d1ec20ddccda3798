#include "lib/crypto/x25519.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace chainkms {
namespace {

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;

Pkey PrivateKey(std::span<const uint8_t, 32> k) {
  return Pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, k.data(), k.size()),
              &EVP_PKEY_free);
}

}  // namespace

// Every 32-byte string is a valid X25519 private key (it is clamped), so failure here can only
// be an allocation failure.
Hash32 X25519PublicKey(std::span<const uint8_t, 32> private_key) {
  Pkey key = PrivateKey(private_key);
  Hash32 pub;
  size_t len = pub.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != pub.size()) {
    std::abort();
  }
  return pub;
}

absl::StatusOr<SecretBytes> X25519SharedSecret(std::span<const uint8_t, 32> private_key,
                                               std::span<const uint8_t, 32> peer_public) {
  Pkey key = PrivateKey(private_key);
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(),
                                        peer_public.size()),
            &EVP_PKEY_free);
  if (!key || !peer) return absl::InternalError("OpenSSL could not load X25519 keys");
  PkeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr), &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    return absl::InternalError("OpenSSL X25519 derive setup failed");
  }
  SecretBytes secret(32);
  size_t len = secret.size();
  // OpenSSL itself fails the derivation when the result is all zeros; the explicit check
  // below keeps the guarantee even if that behaviour changes.
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &len) != 1 || len != 32 ||
      Hash32::TryFrom(secret.view())->IsZero()) {
    return absl::InvalidArgumentError(
        "x25519: peer public key gives an all-zero shared secret (low-order point)");
  }
  return secret;
}

}  // namespace chainkms
