// Sealing app keys to the CVM that asked for them (DESIGN §5.6).
//
// The CVM makes a fresh X25519 key pair per request and binds its public key into the
// attestation's report data; the KMS seals the serialized AppKeys to that key:
//
//   FixedBytes<64> rd = KeyRequestReportData(recipient_pub);      // what the quote must carry
//   ASSIGN_OR_RETURN(Bytes sealed, SealToRecipient(recipient_pub, app_id, chain_id, keys));
//   ASSIGN_OR_RETURN(SecretBytes keys, OpenSealed(recipient_priv, sealed, app_id, chain_id));
//
// Envelope: kms_eph_pub(32) ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16), key =
// HKDF-SHA256(ikm = X25519(kms_eph, recipient), salt = "chainkms-sealed-keys/v1",
// info = recipient_pub ‖ kms_eph_pub, 32), AAD = app_id(20) ‖ u64_be(chain_id). A replayed
// attestation therefore yields only ciphertext for the original requester, and a sealed blob
// moved to another app or chain does not open.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms::kms {

inline constexpr size_t kSealedOverhead = 32 + 12 + 16;

// SHA-512("chainkms-key-request/v1:" ‖ recipient_public_key).
FixedBytes<64> KeyRequestReportData(const Hash32& recipient_public_key);

// INVALID_ARGUMENT "recipient_public_key" for a low-order key (all-zero shared secret).
absl::StatusOr<Bytes> SealToRecipient(const Hash32& recipient_public_key, const Address& app_id,
                                      uint64_t chain_id, ByteView plaintext);

// The recipient's side (CVMs, clients, tests). INVALID_ARGUMENT for an envelope shorter than the
// overhead, a low-order ephemeral key, or a failed authentication (wrong key, app, chain, or a
// modified byte) — one message, no detail about which.
absl::StatusOr<SecretBytes> OpenSealed(ByteView recipient_private_key, ByteView envelope,
                                       const Address& app_id, uint64_t chain_id);

}  // namespace chainkms::kms
