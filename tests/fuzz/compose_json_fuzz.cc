// app-compose / deterministic JSON on arbitrary bytes: never crashes, and what it writes is a fixed
// point (writing its own output again changes nothing), normalized or not.
#include <cstdlib>
#include <string>

#include "lib/compose/app_compose.h"
#include "lib/compose/deterministic_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace chainkms::compose;  // NOLINT(google-build-using-namespace)
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> once = DeterministicJsonFromText(text);
  if (once.ok()) {
    absl::StatusOr<std::string> twice = DeterministicJsonFromText(*once);
    if (!twice.ok() || *twice != *once) std::abort();
  }
  for (bool normalize : {false, true}) {
    absl::StatusOr<std::string> app = CanonicalAppCompose(text, normalize);
    if (app.ok() && CanonicalAppCompose(*app, false).value_or("") != *app) std::abort();
  }
  return 0;
}
