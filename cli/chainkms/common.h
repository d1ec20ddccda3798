// What the `chainkms` subcommands share: the output context (text or --json, --debug traces,
// errors as one line with a hint), the `-e` rule, the env public key fetched from the gateway and
// verified against the KMS's k256 key on chain, env encryption, and waiting for a CVM to boot.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/chainkms/api_client.h"
#include "cli/chainkms/dotenv.h"
#include "cli/chainkms/onchain.h"
#include "lib/common/bytes.h"
#include "nlohmann/json.hpp"

namespace chainkms::cli {

struct Context {
  std::ostream& out;
  std::ostream& err;  // progress, debug traces and errors
  bool json = false;
  bool debug = false;

  // `[debug] <line>` on err when --debug.
  void Debug(const std::string& line) const;
  // Prints the error (one line, then "hint: …"; with --json {"success":false,"error","hint"} on
  // err) and returns the exit code 1.
  int Fail(const absl::Status& status) const;
  // Prints JSON (2-space indent) on out.
  void Json(const nlohmann::json& j) const;
};

// The flags every API-talking command accepts.
inline constexpr std::string_view kApiFlagsUsage =
    "  --api-url URL | CHAINKMS_API_URL, --api-key KEY | CHAINKMS_API_KEY, --profile NAME\n"
    "  --json, --debug\n";

// `-e` values: KEY=VALUE when the part before the first '=' is an env key (no '/' or '\'),
// otherwise a dotenv file. Files first, then KEY=VALUE pairs; the last duplicate wins.
absl::StatusOr<EnvList> CollectEnv(const std::vector<std::string>& values);

// The plaintext dstack CVMs decrypt: {"env":[{"key":K,"value":V},…]} (DESIGN §5.4 limits).
absl::StatusOr<std::string> EnvPlaintext(const EnvList& env);

// The env public key (hex) if `signature_hex` (65 bytes r‖s‖v, v ∈ {0,1}) over
// keccak256("dstack-env-encrypt-pubkey:" ‖ app_id ‖ key) recovers to `kms_k256_pubkey` (the
// DstackKms kmsInfo().k256Pubkey, SEC1). FAILED_PRECONDITION "Invalid encryption public key
// signature" / "Encryption public key signature does not match KMS" otherwise.
absl::StatusOr<Hash32> CheckEnvKeySignature(const Address& app_id,
                                            const std::string& public_key_hex,
                                            const std::string& signature_hex,
                                            ByteView kms_k256_pubkey);

// GET /kms/{kms}/pubkey/{app_id}, the signature recovered and compared with DstackKms.kmsInfo()
// .k256Pubkey read from `chain`. FAILED_PRECONDITION "signature does not match the KMS" else.
absl::StatusOr<Hash32> VerifiedEnvPublicKey(const ApiClient& api, OnChain& chain,
                                            const std::string& kms_slug, const Address& app_id,
                                            const Context& ctx);

// The slug of the gateway's KMS on `chain_id` (GET /kms; 0 = the first one). NOT_FOUND when
// there is none.
absl::StatusOr<std::string> KmsSlugForChain(const ApiClient& api, uint64_t chain_id);

// Encrypts `env` to `public_key`: hex of eph_pub ‖ iv ‖ ciphertext ‖ tag.
absl::StatusOr<std::string> EncryptEnvHex(const Hash32& public_key, const EnvList& env);

// Polls GET /cvms/{cvm} until it runs (with `compose_hash` when given), printing status changes
// on err. FAILED_PRECONDITION "Boot denied: <reason>" on boot_failed; DEADLINE_EXCEEDED after
// `timeout`.
absl::StatusOr<nlohmann::json> WaitForRunning(const ApiClient& api, const std::string& cvm,
                                              std::optional<std::string> compose_hash,
                                              absl::Duration timeout, const Context& ctx);

// j[key] when j is an object holding `key` with the type of `def`, else `def`: the API's answers
// are read without ever throwing on an unexpected shape.
std::string V(const nlohmann::json& j, const char* key, const char* def);
std::string V(const nlohmann::json& j, const char* key, const std::string& def);
bool V(const nlohmann::json& j, const char* key, bool def);
uint64_t V(const nlohmann::json& j, const char* key, uint64_t def);
nlohmann::json V(const nlohmann::json& j, const char* key, const nlohmann::json& def);

// "0x"-prefixed lowercase hex from what the API gave (with or without 0x).
std::string With0x(const std::string& hex);

// Reads a 20-byte address / 32-byte hash from an API JSON string field; INVALID_ARGUMENT
// ("the API answered a malformed <field>") otherwise.
absl::StatusOr<Address> AddressField(const nlohmann::json& j, const std::string& field);
absl::StatusOr<Hash32> HashField(const nlohmann::json& j, const std::string& field);

// --wait-timeout (default 5m).
absl::StatusOr<absl::Duration> WaitTimeout(const class Flags& flags);

}  // namespace chainkms::cli
