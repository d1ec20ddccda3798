#include "lib/kms/app_keys.h"

#include "lib/common/status_macros.h"
#include "lib/kms/derive.h"
#include "lib/kms/x509.h"

namespace chainkms::kms {

absl::StatusOr<AppKeySet> DeriveAppKeySet(const RootKeys& root, const Address& app_id,
                                          const Address& instance_id) {
  AppKeySet out;
  ASSIGN_OR_RETURN(out.disk_crypt_key, DeriveDiskKey(root.ca, app_id, instance_id));
  ASSIGN_OR_RETURN(EnvKey env, DeriveEnvKey(root.ca, app_id));
  out.env_crypt_key = std::move(env.private_key);
  out.env_public_key = env.public_key;
  ASSIGN_OR_RETURN(Secp256k1PrivateKey app_k256, DeriveAppK256Key(root.k256, app_id));
  out.k256_public_key = app_k256.PublicKey().Compressed();
  out.k256_signature = SignAppKey(root.k256, app_id, out.k256_public_key);
  out.k256_key = app_k256.secret().Clone();
  ASSIGN_OR_RETURN(P256PrivateKey app_ca, DeriveAppCaKey(root.ca, app_id));
  out.ca_key_der = app_ca.Pkcs8Der();
  std::shared_ptr<const CaIssuer> issuer = root.ca_issuer;
  if (issuer == nullptr) {
    ASSIGN_OR_RETURN(issuer, CaIssuer::Create(root.ca, root.ca_cert_der));
  }
  ASSIGN_OR_RETURN(out.ca_cert_der, issuer->IssueAppCa(app_ca.PublicKeyUncompressed(), app_id));
  return out;
}

absl::StatusOr<AppKeySet> WithInstance(const RootKeys& root, const AppKeySet& app_level,
                                       const Address& app_id, const Address& instance_id) {
  AppKeySet out;
  ASSIGN_OR_RETURN(out.disk_crypt_key, DeriveDiskKey(root.ca, app_id, instance_id));
  out.env_crypt_key = app_level.env_crypt_key.Clone();
  out.env_public_key = app_level.env_public_key;
  out.k256_key = app_level.k256_key.Clone();
  out.k256_public_key = app_level.k256_public_key;
  out.k256_signature = app_level.k256_signature;
  out.ca_key_der = app_level.ca_key_der.Clone();
  out.ca_cert_der = app_level.ca_cert_der;
  return out;
}

}  // namespace chainkms::kms
