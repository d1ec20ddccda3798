#include "lib/kms/sealed.h"

#include <string_view>

#include "lib/common/status_macros.h"
#include "lib/crypto/aes.h"
#include "lib/crypto/hash.h"
#include "lib/crypto/random.h"
#include "lib/crypto/x25519.h"

namespace chainkms::kms {
namespace {

constexpr std::string_view kReportDomain = "chainkms-key-request/v1:";
constexpr std::string_view kSealSalt = "chainkms-sealed-keys/v1";

void Append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

FixedBytes<28> Aad(const Address& app_id, uint64_t chain_id) {
  FixedBytes<28> aad;
  std::copy(app_id.begin(), app_id.end(), aad.begin());
  for (int i = 0; i < 8; ++i) aad[20 + i] = static_cast<uint8_t>(chain_id >> (56 - 8 * i));
  return aad;
}

absl::StatusOr<SecretBytes> SealKey(ByteView shared, ByteView recipient_pub, ByteView eph_pub) {
  Bytes info;
  Append(info, recipient_pub);
  Append(info, eph_pub);
  return HkdfSha256(shared, AsBytes(kSealSalt), info, 32);
}

}  // namespace

FixedBytes<64> KeyRequestReportData(const Hash32& recipient_public_key) {
  Bytes msg(kReportDomain.begin(), kReportDomain.end());
  Append(msg, recipient_public_key.view());
  return Sha512(msg);
}

absl::StatusOr<Bytes> SealToRecipient(const Hash32& recipient, const Address& app_id,
                                      uint64_t chain_id, ByteView plaintext) {
  SecretBytes eph = RandomSecret(32);
  const std::span<const uint8_t, 32> eph_key(eph.data(), 32);
  const Hash32 eph_pub = X25519PublicKey(eph_key);
  absl::StatusOr<SecretBytes> shared =
      X25519SharedSecret(eph_key, std::span<const uint8_t, 32>(recipient.data(), 32));
  if (!shared.ok()) {
    return absl::InvalidArgumentError("recipient_public_key: a low-order X25519 key");
  }
  ASSIGN_OR_RETURN(SecretBytes key, SealKey(shared->view(), recipient.view(), eph_pub.view()));
  const Bytes nonce = RandomBytes(12);
  const FixedBytes<28> aad = Aad(app_id, chain_id);
  ASSIGN_OR_RETURN(Bytes ct, Aes256GcmEncrypt(key.view(), nonce, plaintext, aad.view()));
  Bytes out;
  out.reserve(kSealedOverhead + plaintext.size());
  Append(out, eph_pub.view());
  Append(out, nonce);
  Append(out, ct);
  return out;
}

absl::StatusOr<SecretBytes> OpenSealed(ByteView recipient_private_key, ByteView envelope,
                                       const Address& app_id, uint64_t chain_id) {
  const absl::Status refused = absl::InvalidArgumentError("sealed keys do not open");
  if (recipient_private_key.size() != 32 || envelope.size() < kSealedOverhead) return refused;
  const ByteView eph_pub = envelope.subspan(0, 32);
  const ByteView nonce = envelope.subspan(32, 12);
  const ByteView ct = envelope.subspan(44);
  const std::span<const uint8_t, 32> priv(recipient_private_key.data(), 32);
  absl::StatusOr<SecretBytes> shared =
      X25519SharedSecret(priv, std::span<const uint8_t, 32>(eph_pub.data(), 32));
  if (!shared.ok()) return refused;
  const Hash32 recipient_pub = X25519PublicKey(priv);
  ASSIGN_OR_RETURN(SecretBytes key, SealKey(shared->view(), recipient_pub.view(), eph_pub));
  const FixedBytes<28> aad = Aad(app_id, chain_id);
  absl::StatusOr<SecretBytes> plain = Aes256GcmDecrypt(key.view(), nonce, ct, aad.view());
  if (!plain.ok()) return refused;
  return plain;
}

}  // namespace chainkms::kms
