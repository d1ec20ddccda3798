// The recipient side of the KMS's envelopes on arbitrary bytes: sealed app keys (OpenSealed),
// encrypted env payloads (DecryptEnv) and audit logs (VerifyAuditChain). Never crashes; short
// input is always refused; forged input never opens.
#include <cstdlib>
#include <sstream>
#include <string>

#include "lib/kms/audit.h"
#include "lib/kms/env_crypt.h"
#include "lib/kms/sealed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const chainkms::ByteView in(data, size);
  uint8_t priv_bytes[32];
  for (int i = 0; i < 32; ++i) priv_bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  const chainkms::ByteView priv(priv_bytes, 32);
  chainkms::Address app;
  app.bytes.fill(0xab);
  if (chainkms::kms::OpenSealed(priv, in, app, 31337).ok()) std::abort();  // needs a forgery
  absl::StatusOr<chainkms::SecretBytes> env = chainkms::kms::DecryptEnv(priv, in);
  if (env.ok()) std::abort();
  std::istringstream text(std::string(reinterpret_cast<const char*>(data), size));
  const chainkms::kms::AuditVerifyReport r = chainkms::kms::VerifyAuditChain(text);
  if (r.first_broken_line > r.lines) std::abort();
  return 0;
}
