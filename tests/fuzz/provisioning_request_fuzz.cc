// The provisioning service's edge on arbitrary bytes: a PatchCvmRequest / ProvisionCvmRequest as
// the wire delivers it → the app-compose.json it builds (when valid, a fixed point of the
// deterministic writer, hashed as served), the env names, ids and commit tokens; the same bytes as
// text through the --kms / --node / --webhook-retry-delays parsers and the webhook URL check.
// Never crashes; valid output stays valid.
#include <cstdlib>
#include <string>

#include "chainkms/v1/provisioning.pb.h"
#include "lib/compose/app_compose.h"
#include "lib/webhook/target.h"
#include "services/provisioning/node_driver.h"
#include "services/provisioning/outbox.h"
#include "services/provisioning/proto_convert.h"
#include "services/provisioning/provisioning_service.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chainkms;  // NOLINT(google-build-using-namespace)
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  chainkms::v1::PatchCvmRequest patch;
  if (patch.ParseFromString(bytes)) {
    absl::StatusOr<std::string> built = provisioning::BuildCompose(patch.compose(), "fuzz");
    if (built.ok()) {
      if (built->size() < patch.compose().docker_compose_file().size()) std::abort();
      if (compose::CanonicalAppCompose(*built, false).value_or("") != *built) std::abort();
      (void)compose::ComposeHash(*built);
    }
    (void)provisioning::CheckEnvKeys(patch.env_keys(), "env_keys");
    (void)provisioning::IsId(patch.cvm_id(), "cvm_");
  }
  chainkms::v1::ProvisionCvmRequest provision;
  if (provision.ParseFromString(bytes)) {
    (void)provisioning::BuildCompose(provision.compose(), provision.name());
  }
  (void)provisioning::ParseKmsSpecs(bytes);
  (void)provisioning::ParseNodeSpecs(bytes);
  (void)provisioning::ParseRetryDelays(bytes);
  (void)webhook::CheckWebhookUrl(bytes, false);
  return 0;
}
