#include "lib/kms/derive.h"

#include <string_view>

#include "lib/common/status_macros.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/keccak.h"
#include "lib/crypto/x25519.h"

namespace chainkms::kms {
namespace {

constexpr std::string_view kSalt = "RATLS";
constexpr std::string_view kAppKeyPrefix = "dstack-kms-issued:";
constexpr std::string_view kEnvKeyPrefix = "dstack-env-encrypt-pubkey:";

void Append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }
void Append(Bytes& out, std::string_view s) { Append(out, AsBytes(s)); }

FixedBytes<65> Sign(const Secp256k1PrivateKey& key, const Hash32& digest) {
  return key.SignRecoverable(digest).ToBytes();
}

}  // namespace

absl::StatusOr<SecretBytes> DeriveKey(ByteView ikm, std::initializer_list<ByteView> context,
                                      size_t length) {
  SecretBytes info;
  Bytes joined;
  for (ByteView part : context) Append(joined, part);
  info = SecretBytes(std::move(joined));
  return HkdfSha256(ikm, AsBytes(kSalt), info.view(), length);
}

absl::StatusOr<P256PrivateKey> DeriveP256Key(const P256PrivateKey& root,
                                             std::initializer_list<ByteView> context) {
  ASSIGN_OR_RETURN(SecretBytes d, DeriveKey(root.scalar().view(), context, 32));
  return P256PrivateKey::FromScalar(d.view());
}

absl::StatusOr<SecretBytes> DeriveDhSecret(const P256PrivateKey& root,
                                           std::initializer_list<ByteView> context) {
  ASSIGN_OR_RETURN(P256PrivateKey derived, DeriveP256Key(root, context));
  SecretBytes der = derived.Pkcs8Der();
  Hash32 digest = Sha256(der.view());
  SecretBytes out = SecretBytes::FromView(digest.view());
  SecureWipe(std::span<uint8_t>(digest.bytes));
  return out;
}

absl::StatusOr<SecretBytes> DeriveDiskKey(const P256PrivateKey& root_ca, const Address& app_id,
                                          const Address& instance_id) {
  return DeriveDhSecret(root_ca,
                        {app_id.view(), instance_id.view(), AsBytes("app-disk-crypt-key")});
}

absl::StatusOr<EnvKey> DeriveEnvKey(const P256PrivateKey& root_ca, const Address& app_id) {
  ASSIGN_OR_RETURN(SecretBytes k,
                   DeriveDhSecret(root_ca, {app_id.view(), AsBytes("env-encrypt-key")}));
  EnvKey out;
  out.public_key = X25519PublicKey(std::span<const uint8_t, 32>(k.view().data(), 32));
  out.private_key = std::move(k);
  return out;
}

absl::StatusOr<Secp256k1PrivateKey> DeriveAppK256Key(const Secp256k1PrivateKey& root_k256,
                                                     const Address& app_id) {
  ASSIGN_OR_RETURN(SecretBytes k,
                   DeriveKey(root_k256.secret().view(), {app_id.view(), AsBytes("app-key")}, 32));
  return Secp256k1PrivateKey::FromBytes(k.view());
}

absl::StatusOr<P256PrivateKey> DeriveAppCaKey(const P256PrivateKey& root_ca,
                                              const Address& app_id) {
  return DeriveP256Key(root_ca, {app_id.view(), AsBytes("app-ca")});
}

Hash32 AppKeyDigest(const Address& app_id, const FixedBytes<33>& app_public_key) {
  Bytes m;
  Append(m, kAppKeyPrefix);
  Append(m, app_id.view());
  Append(m, app_public_key.view());
  return Keccak256(m);
}

Hash32 EnvPublicKeyDigestLegacy(const Address& app_id, const Hash32& public_key) {
  Bytes m;
  Append(m, kEnvKeyPrefix);
  Append(m, app_id.view());
  Append(m, public_key.view());
  return Keccak256(m);
}

Hash32 EnvPublicKeyDigestV1(const Address& app_id, uint64_t timestamp, const Hash32& public_key) {
  Bytes m;
  Append(m, kEnvKeyPrefix);
  Append(m, app_id.view());
  for (int shift = 56; shift >= 0; shift -= 8)
    m.push_back(static_cast<uint8_t>(timestamp >> shift));
  Append(m, public_key.view());
  return Keccak256(m);
}

FixedBytes<65> SignAppKey(const Secp256k1PrivateKey& root_k256, const Address& app_id,
                          const FixedBytes<33>& app_public_key) {
  return Sign(root_k256, AppKeyDigest(app_id, app_public_key));
}

FixedBytes<65> SignEnvPublicKeyLegacy(const Secp256k1PrivateKey& root_k256, const Address& app_id,
                                      const Hash32& public_key) {
  return Sign(root_k256, EnvPublicKeyDigestLegacy(app_id, public_key));
}

FixedBytes<65> SignEnvPublicKeyV1(const Secp256k1PrivateKey& root_k256, const Address& app_id,
                                  uint64_t timestamp, const Hash32& public_key) {
  return Sign(root_k256, EnvPublicKeyDigestV1(app_id, timestamp, public_key));
}

}  // namespace chainkms::kms
