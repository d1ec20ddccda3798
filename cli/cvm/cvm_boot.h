// The boot of a local CVM (chainkms-cvm), the way a dstack guest boots:
//  1. measure what it was given: compose hash = sha256(app-compose.json bytes), the app id, an
//     instance id (none when the compose says no_instance_id);
//  2. make a fresh X25519 recipient key and a dev attestation whose report data binds it
//     (DESIGN §5.6), with the key provider the compose names (else the KMS's root CA);
//  3. ask the KMS for the app keys; it releases them only if DstackKms.isAppAllowed says yes;
//  4. unseal them, decrypt the env with the env key and keep only the compose's allowed_envs.
//
//   ASSIGN_OR_RETURN(BootResult r, BootCvm(inputs, *kms_stub));
//   if (!r.allowed) std::cerr << r.reason;   // "Boot denied: Compose hash not allowed"
//
// Only the dev attestation is made here: a real TDX guest quotes through the TDX module.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chainkms/v1/kms.grpc.pb.h"
#include "lib/common/bytes.h"
#include "lib/common/secret_bytes.h"

namespace chainkms::cvm {

struct BootInputs {
  std::string app_compose;  // the exact bytes the node was given (hashed as they are)
  Bytes encrypted_env;      // eph_pub ‖ iv ‖ ciphertext ‖ tag, or empty for no env
  Address app_id;
  uint64_t chain_id = 0;
  Hash32 device_id;
  Hash32 os_image_hash;
  Address instance_id;  // used unless the compose sets no_instance_id
};

struct EnvVar {
  std::string key;
  SecretBytes value;
};

struct BootResult {
  bool allowed = false;
  std::string reason;  // why not: "Boot denied: <the contract's reason>"
  Hash32 compose_hash;
  Address instance_id;
  uint64_t block_number = 0;                  // the block the KMS decided at
  std::vector<EnvVar> env;                    // decrypted, only allowed_envs
  std::vector<std::string> dropped_env_keys;  // present in the env, not in allowed_envs
  Address app_key_address;  // the app k256 key's address (public; equal across KMS replicas)
};

// The instance id a local node gives a CVM: the first 20 bytes of
// sha256("chainkms-local-instance:" ‖ cvm_id), stable across restarts as a disk would be.
Address LocalInstanceId(std::string_view cvm_id);

// A denied boot is a result (allowed = false), not an error. Errors: INVALID_ARGUMENT for a
// compose that is not JSON or an env that does not decrypt or parse; the KMS's own status for
// anything else it answers (UNAVAILABLE when it cannot read the chain, …).
absl::StatusOr<BootResult> BootCvm(const BootInputs& in, v1::Kms::StubInterface& kms,
                                   absl::Duration timeout);

}  // namespace chainkms::cvm
