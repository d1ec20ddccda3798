#include "lib/crypto/p256.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <memory>

namespace chainkms {
namespace {

// Group order n of P-256, big-endian.
constexpr uint8_t kOrder[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

// PKCS#8 PrivateKeyInfo { version 0, ecPublicKey/prime256v1, ECPrivateKey { 1, d, [1] pub } }
// with every length fixed, as the RustCrypto p256 crate (and so dstack-kms) emits it.
constexpr uint8_t kPkcs8Prefix[] = {
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
};
constexpr uint8_t kPkcs8PublicTag[] = {0xa1, 0x44, 0x03, 0x42, 0x00};

using Point = std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)>;
using Bignum = std::unique_ptr<BIGNUM, decltype(&BN_clear_free)>;

}  // namespace

absl::StatusOr<P256PrivateKey> P256PrivateKey::FromScalar(ByteView d) {
  if (d.size() != 32) return absl::InvalidArgumentError("p256 scalar must be 32 bytes");
  const bool zero = std::all_of(d.begin(), d.end(), [](uint8_t c) { return c == 0; });
  if (zero ||
      !std::lexicographical_compare(d.begin(), d.end(), std::begin(kOrder), std::end(kOrder))) {
    return absl::InvalidArgumentError("p256 scalar must satisfy 0 < d < n");
  }
  // Built once: creating the group costs more than the multiplication. Only read afterwards,
  // which OpenSSL allows from many threads.
  static const EC_GROUP* const group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  Bignum scalar(BN_secure_new(), &BN_clear_free);
  if (group == nullptr || !scalar) return absl::InternalError("OpenSSL P-256 setup failed");
  BN_set_flags(scalar.get(), BN_FLG_CONSTTIME);
  Point pub(EC_POINT_new(group), &EC_POINT_free);
  FixedBytes<65> encoded;
  if (!pub || BN_bin2bn(d.data(), static_cast<int>(d.size()), scalar.get()) == nullptr ||
      EC_POINT_mul(group, pub.get(), scalar.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group, pub.get(), POINT_CONVERSION_UNCOMPRESSED, encoded.data(),
                         encoded.size(), nullptr) != encoded.size()) {
    return absl::InternalError("OpenSSL P-256 public key computation failed");
  }
  return P256PrivateKey(SecretBytes::FromView(d), encoded);
}

SecretBytes P256PrivateKey::Pkcs8Der() const {
  SecretBytes der(sizeof(kPkcs8Prefix) + 32 + sizeof(kPkcs8PublicTag) + public_.size());
  uint8_t* p = der.data();
  p = std::copy(std::begin(kPkcs8Prefix), std::end(kPkcs8Prefix), p);
  p = std::copy(d_.view().begin(), d_.view().end(), p);
  p = std::copy(std::begin(kPkcs8PublicTag), std::end(kPkcs8PublicTag), p);
  std::copy(public_.begin(), public_.end(), p);
  return der;
}

static_assert(sizeof(kPkcs8Prefix) + 32 + sizeof(kPkcs8PublicTag) + 65 == 138);

}  // namespace chainkms
