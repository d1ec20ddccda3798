#include "lib/testing/devnet.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "lib/chain/eth_rpc.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/hash.h"
#include "lib/eth/abi.h"
#include "lib/eth/address.h"

namespace chainkms::testutil {
namespace {

absl::StatusOr<Bytes> ArtifactHex(const nlohmann::json& j, const char* field,
                                  const std::string& file) {
  if (!j.contains(field) || !j[field].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": missing ", field));
  }
  return HexDecode(j[field].get<std::string>(), HexPrefix::kRequired,
                   absl::StrCat(file, ": ", field));
}

void Say(const std::function<void(std::string_view)>& progress, const std::string& line) {
  if (progress) progress(line);
}

}  // namespace

std::string DefaultArtifactsDir() {
  if (const char* env = std::getenv("CHAINKMS_CONTRACTS_DIR"); env && *env) return env;
#ifdef CHAINKMS_SOURCE_DIR
  return std::string(CHAINKMS_SOURCE_DIR) + "/contracts/artifacts";
#else
  return "contracts/artifacts";
#endif
}

Hash32 DevnetOptions::DefaultOsImageHash() { return Sha256(AsBytes("chainkms-devnet-os-image")); }

absl::StatusOr<ContractArtifact> LoadArtifact(const std::string& dir, std::string_view name) {
  const std::string file = absl::StrCat(dir, "/", std::string(name), ".json");
  std::ifstream in(file);
  if (!in) return absl::NotFoundError(absl::StrCat("artifact not found: ", file));
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": not a JSON object"));
  }
  ContractArtifact a;
  a.name = std::string(name);
  a.abi = j.value("abi", nlohmann::json::array());
  ASSIGN_OR_RETURN(a.bytecode, ArtifactHex(j, "bytecode", file));
  ASSIGN_OR_RETURN(a.deployed_bytecode, ArtifactHex(j, "deployedBytecode", file));
  if (a.bytecode.empty()) return absl::InvalidArgumentError(absl::StrCat(file, ": empty bytecode"));
  return a;
}

nlohmann::json Devnet::ToJson() const {
  return {{"chainId", chain_id},
          {"deployer", ToChecksumAddress(deployer)},
          {"dstackKms", ToChecksumAddress(kms)},
          {"dstackKmsImplementation", ToChecksumAddress(kms_implementation)},
          {"dstackAppImplementation", ToChecksumAddress(app_implementation)},
          {"multicall3", ToChecksumAddress(multicall)},
          {"osImageHash", Hex0x(os_image_hash)},
          {"deployedAtBlock", deployed_at_block}};
}

absl::StatusOr<Receipt> SendAndWait(TxManager& txm, const std::shared_ptr<Signer>& signer,
                                    std::optional<Address> to, Bytes data, uint64_t confirmations,
                                    absl::Duration timeout) {
  ASSIGN_OR_RETURN(SentTx sent, txm.Send({.signer = signer, .to = to, .data = std::move(data)}));
  ASSIGN_OR_RETURN(Receipt r, txm.WaitForReceipt(sent.hash, confirmations, timeout));
  if (!r.success) {
    return absl::FailedPreconditionError(
        absl::StrCat("transaction ", Hex0x(sent.hash), " reverted"));
  }
  return r;
}

absl::StatusOr<Devnet> DeployDevnet(RpcCaller& rpc, TxManager& txm,
                                    std::shared_ptr<Signer> deployer, const DevnetOptions& options,
                                    const std::function<void(std::string_view)>& progress) {
  ASSIGN_OR_RETURN(ContractArtifact app, LoadArtifact(options.artifacts_dir, "DstackApp"));
  ASSIGN_OR_RETURN(ContractArtifact kms, LoadArtifact(options.artifacts_dir, "DstackKms"));
  ASSIGN_OR_RETURN(ContractArtifact proxy, LoadArtifact(options.artifacts_dir, "ERC1967Proxy"));
  ASSIGN_OR_RETURN(ContractArtifact multicall, LoadArtifact(options.artifacts_dir, "Multicall3"));

  Devnet net;
  ASSIGN_OR_RETURN(net.chain_id, eth_rpc::ChainId(rpc));
  if (net.chain_id != txm.chain_id()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node is chain ", net.chain_id, ", transaction manager is for ", txm.chain_id()));
  }
  net.deployer = deployer->address();
  net.os_image_hash = options.os_image_hash;
  ASSIGN_OR_RETURN(net.multicall, ParseAddress(kMulticall3Address));

  // Multicall3 has no constructor, so its runtime code can be placed directly.
  ASSIGN_OR_RETURN(Bytes code, eth_rpc::GetCode(rpc, net.multicall, BlockTag::Latest()));
  if (code.empty()) {
    auto set = rpc.Call("anvil_setCode", nlohmann::json::array({kMulticall3Address,
                                                                Hex0x(multicall.deployed_bytecode)}));
    if (!set.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no Multicall3 at ", kMulticall3Address,
          " and the node refused anvil_setCode (not anvil?): ", set.status().message()));
    }
    Say(progress, absl::StrCat("Multicall3 placed at ", kMulticall3Address));
  }

  const auto deploy = [&](const Bytes& init_code, const char* what) -> absl::StatusOr<Address> {
    ASSIGN_OR_RETURN(Receipt r, SendAndWait(txm, deployer, std::nullopt, init_code,
                                            options.confirmations, options.step_timeout));
    if (!r.contract_address) {
      return absl::InternalError(absl::StrCat(what, ": receipt without contractAddress"));
    }
    Say(progress, absl::StrCat(what, " deployed at ", ToChecksumAddress(*r.contract_address)));
    return *r.contract_address;
  };
  ASSIGN_OR_RETURN(net.app_implementation, deploy(app.bytecode, "DstackApp implementation"));
  ASSIGN_OR_RETURN(net.kms_implementation, deploy(kms.bytecode, "DstackKms implementation"));

  // ERC1967Proxy(implementation, initialize(owner, appImplementation)).
  const Bytes init = dstack_kms::Initialize(net.deployer, net.app_implementation);
  ASSIGN_OR_RETURN(Bytes ctor_args,
                   AbiEncode(std::vector<AbiType>{AbiType::Address(), AbiType::Bytes()},
                             std::vector<AbiValue>{AbiValue::Address(net.kms_implementation),
                                                   AbiValue::Bytes(init)}));
  ASSIGN_OR_RETURN(net.kms, deploy(Concat({proxy.bytecode, ctor_args}), "DstackKms proxy"));

  RETURN_IF_ERROR(SendAndWait(txm, deployer, net.kms,
                              dstack_kms::AddOsImageHash(options.os_image_hash),
                              options.confirmations, options.step_timeout)
                      .status());
  Say(progress, absl::StrCat("OS image ", Hex0x(options.os_image_hash), " allowed"));
  KmsInfo info = options.kms_info;
  if (info.k256_pubkey.empty()) info.k256_pubkey = Bytes(33, 0x02);
  RETURN_IF_ERROR(SendAndWait(txm, deployer, net.kms, dstack_kms::SetKmsInfo(info),
                              options.confirmations, options.step_timeout)
                      .status());
  if (!options.gateway_app_id.empty()) {
    RETURN_IF_ERROR(SendAndWait(txm, deployer, net.kms,
                                dstack_kms::SetGatewayAppId(options.gateway_app_id),
                                options.confirmations, options.step_timeout)
                        .status());
  }
  ASSIGN_OR_RETURN(net.deployed_at_block, eth_rpc::BlockNumber(rpc));
  Say(progress, absl::StrCat("devnet ready at block ", net.deployed_at_block));
  return net;
}

}  // namespace chainkms::testutil
