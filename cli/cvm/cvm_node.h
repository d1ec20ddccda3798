// chainkms-cvm: a local CVM process (no VM, no Docker). It boots like a dstack guest
// (cvm_boot.h), writes what it measured and how the boot went to --status-file, writes the
// decrypted allowed env to --env-out (mode 0600), and then runs until SIGTERM/SIGINT. A denied
// boot exits 3 with status boot_failed and the KMS's reason; other failures exit 1.
//
// The status file is one JSON object, replaced atomically:
//   {"status":"starting|running|boot_failed|stopped","reason":"…","cvm_id":"…","app_id":"0x…",
//    "compose_hash":"0x…","instance_id":"0x…","block_number":N,"app_key_address":"0x…",
//    "env_keys":[…],"dropped_env_keys":[…],"pid":N,"dev_attestation":true}
// It never holds an env value or a key.
#pragma once

namespace chainkms::cvm {

int CvmMain(int argc, char** argv);

}  // namespace chainkms::cvm
