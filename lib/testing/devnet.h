// Devnet: deploys the chainkms contracts onto a development chain (anvil) from the committed
// artifacts — the DstackApp implementation, a DstackKms UUPS proxy with an OS image, KMS info
// and the app implementation set, and Multicall3 at its canonical address (anvil_setCode).
// Used by the integration fixture and by `chainkms-devnet` (deploy/local).
//
//   TxManager txm(rpc, chain_id, SystemClock::Get());
//   ASSIGN_OR_RETURN(Devnet net, DeployDevnet(rpc, txm, deployer, DevnetOptions{}));
//   std::string json = net.ToJson().dump(2);
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "lib/chain/contracts.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/bytes.h"
#include "lib/jsonrpc/rpc_caller.h"

namespace chainkms::testutil {

inline constexpr char kMulticall3Address[] = "0xcA11bde05977b3631167028862bE2a173976CA11";

// One compiled contract as contracts/build.mjs writes it.
struct ContractArtifact {
  std::string name;
  nlohmann::json abi;
  Bytes bytecode;
  Bytes deployed_bytecode;
};

// Reads <dir>/<name>.json. NOT_FOUND / INVALID_ARGUMENT naming the file.
absl::StatusOr<ContractArtifact> LoadArtifact(const std::string& dir, std::string_view name);
// contracts/artifacts under the source tree, or $CHAINKMS_CONTRACTS_DIR.
std::string DefaultArtifactsDir();

struct DevnetOptions {
  std::string artifacts_dir = DefaultArtifactsDir();
  // Allowed in DstackKms; boot infos in tests use it.
  Hash32 os_image_hash = DefaultOsImageHash();
  KmsInfo kms_info;
  std::string gateway_app_id;
  // Confirmations awaited for each deployment step.
  uint64_t confirmations = 1;
  absl::Duration step_timeout = absl::Seconds(60);

  static Hash32 DefaultOsImageHash();
};

struct Devnet {
  uint64_t chain_id = 0;
  Address deployer;
  Address kms;  // the DstackKms proxy
  Address kms_implementation;
  Address app_implementation;
  Address multicall;
  Hash32 os_image_hash;
  uint64_t deployed_at_block = 0;

  nlohmann::json ToJson() const;
};

// Deploys everything with `deployer` as owner. `progress` hears one line per step.
absl::StatusOr<Devnet> DeployDevnet(RpcCaller& rpc, TxManager& txm,
                                    std::shared_ptr<Signer> deployer, const DevnetOptions& options,
                                    const std::function<void(std::string_view)>& progress = {});

// Sends `data` to `to` (nullopt: create) through `txm` and waits for a successful receipt.
// FAILED_PRECONDITION with the revert reason when it reverts.
absl::StatusOr<Receipt> SendAndWait(TxManager& txm, const std::shared_ptr<Signer>& signer,
                                    std::optional<Address> to, Bytes data,
                                    uint64_t confirmations = 1,
                                    absl::Duration timeout = absl::Seconds(60));

}  // namespace chainkms::testutil
