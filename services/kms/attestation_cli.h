// chainkms-kms attestation verify: one TDX quote explained step by step, for operators asking
// "why was this CVM refused?". Offline with --collateral; otherwise collateral comes from
// --collateral-dir or --pccs-url exactly as the server fetches it.
//
//   chainkms-kms attestation verify --quote F [--collateral C | --collateral-dir D | --pccs-url U]
//       [--event-log E] [--vm-config V] [--at TIME] [--json]
//       [--tcb-accept-status S] [--tcb-accept-advisories A]
//       [--os-image-measurements M] [--insecure-unmeasured-os-image]
//
// F is the raw quote or its hex; TIME is RFC 3339 (default: now). Exit 0 only when the quote is
// accepted (and, with --event-log / --vm-config, the boot too); 1 refused; 2 usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace chainkms::kms {

int AttestationVerifyCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                         absl::Time now);

}  // namespace chainkms::kms
