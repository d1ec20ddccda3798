// RegistryService: chainkms.v1.Registry over lib/chain, for one or more chains.
//
// Every handler enters the concurrency limiter first, validates each field at the edge (bytes of
// exactly 32 / 20, never padded: INVALID_ARGUMENT reason INVALID_FIELD naming the field), picks
// the chain by chain_id (unknown: INVALID_ARGUMENT reason UNKNOWN_CHAIN), and converts errors with
// server::ToGrpcStatus after giving them a reason (Classify). Writes are signed by the signer of
// the request's `from` and refused before sending when that signer is not the contract's owner
// (FAILED_PRECONDITION reason NOT_OWNER naming the owner).
//
//   std::vector<std::unique_ptr<ChainBackend>> chains;
//   chains.push_back(*ConnectChain({.chain_id = 31337, .rpc_urls = {url}, .kms = kms}));
//   RegistryService registry(std::move(chains), signers, &server.limiter());
//   server.AddService(&registry);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "lib/chain/reader.h"
#include "lib/chain/tx_manager.h"
#include "lib/jsonrpc/rpc_caller.h"
#include "lib/server/metrics.h"
#include "lib/server/server.h"
#include "services/registry/config.h"
#include "services/registry/signer_registry.h"

namespace chainkms::registry {

// One served chain: its RPC endpoints, reader and transaction manager.
struct ChainBackend {
  uint64_t chain_id = 0;
  Address kms = {};
  std::unique_ptr<RpcCaller> rpc;
  std::unique_ptr<ChainReader> reader;
  std::unique_ptr<TxManager> txm;
};

struct ChainOptions {
  absl::Duration tx_poll_interval = absl::Seconds(1);
};

// Builds the FailoverClient over `config.rpc_urls`, checks every endpoint's chain id
// (FAILED_PRECONDITION on a mismatch, UNAVAILABLE when none answers) and makes the reader and
// transaction manager.
absl::StatusOr<std::unique_ptr<ChainBackend>> ConnectChain(const ChainConfig& config,
                                                           const ChainOptions& options = {});

struct RegistryOptions {
  // Default confirmation depth of writes and GetTransaction when the request says 0.
  uint32_t default_confirmations = 1;
  // Default bound on WriteOptions.wait.
  absl::Duration default_wait_timeout = absl::Seconds(120);
  // How often WatchPolicyEvents asks for new logs.
  absl::Duration watch_poll_interval = absl::Seconds(1);
  // Most blocks per eth_getLogs.
  uint64_t max_log_range = 2000;
};

class RegistryService final : public chainkms::v1::Registry::Service {
 public:
  // `limiter` and `metrics` (may be null) must outlive the service.
  RegistryService(std::vector<std::unique_ptr<ChainBackend>> chains,
                  std::shared_ptr<SignerRegistry> signers, server::ConcurrencyLimiter* limiter,
                  server::Metrics* metrics = nullptr, RegistryOptions options = {});
  ~RegistryService() override;

  using Ctx = grpc::ServerContext;

#define CHAINKMS_REGISTRY_UNARY(Name) \
  grpc::Status Name(Ctx* ctx, const chainkms::v1::Name##Request* req, \
                    chainkms::v1::Name##Response* resp) override;
  CHAINKMS_REGISTRY_UNARY(DeployApp)
  CHAINKMS_REGISTRY_UNARY(AddComposeHash)
  CHAINKMS_REGISTRY_UNARY(RemoveComposeHash)
  CHAINKMS_REGISTRY_UNARY(AddDevice)
  CHAINKMS_REGISTRY_UNARY(RemoveDevice)
  CHAINKMS_REGISTRY_UNARY(SetAllowAnyDevice)
  CHAINKMS_REGISTRY_UNARY(SetRequireTcbUpToDate)
  CHAINKMS_REGISTRY_UNARY(DisableUpgrades)
  CHAINKMS_REGISTRY_UNARY(TransferOwnership)
  CHAINKMS_REGISTRY_UNARY(AcceptOwnership)
  CHAINKMS_REGISTRY_UNARY(RegisterApp)
  CHAINKMS_REGISTRY_UNARY(GetApp)
  CHAINKMS_REGISTRY_UNARY(CheckPrerequisites)
  CHAINKMS_REGISTRY_UNARY(IsAppAllowed)
  CHAINKMS_REGISTRY_UNARY(CheckDeviceAllowed)
  CHAINKMS_REGISTRY_UNARY(VerifyComposeHashTransaction)
  CHAINKMS_REGISTRY_UNARY(PrepareTransaction)
  CHAINKMS_REGISTRY_UNARY(SubmitSignedTransaction)
  CHAINKMS_REGISTRY_UNARY(GetTransaction)
  CHAINKMS_REGISTRY_UNARY(AddOsImageHash)
  CHAINKMS_REGISTRY_UNARY(RemoveOsImageHash)
  CHAINKMS_REGISTRY_UNARY(AddKmsAggregatedMr)
  CHAINKMS_REGISTRY_UNARY(RemoveKmsAggregatedMr)
  CHAINKMS_REGISTRY_UNARY(AddKmsDevice)
  CHAINKMS_REGISTRY_UNARY(RemoveKmsDevice)
  CHAINKMS_REGISTRY_UNARY(SetKmsInfo)
  CHAINKMS_REGISTRY_UNARY(SetAppImplementation)
  CHAINKMS_REGISTRY_UNARY(SetGatewayAppId)
  CHAINKMS_REGISTRY_UNARY(GetKmsInfo)
  CHAINKMS_REGISTRY_UNARY(CheckKmsAllowlists)
  CHAINKMS_REGISTRY_UNARY(IsKmsAllowed)
#undef CHAINKMS_REGISTRY_UNARY

  grpc::Status WatchPolicyEvents(
      Ctx* ctx, const chainkms::v1::WatchPolicyEventsRequest* req,
      grpc::ServerWriter<chainkms::v1::WatchPolicyEventsResponse>* writer) override;

  // Who may send a write: nobody checked, the contract's owner(), or its pendingOwner().
  enum class OwnerCheck { kNone, kOwner, kPendingOwner };

 private:
  struct WriteCall {
    uint64_t chain_id = 0;
    const std::string* from = nullptr;
    const chainkms::v1::WriteOptions* options = nullptr;
    Address to = {};
    Bytes data = {};
    OwnerCheck check = OwnerCheck::kNone;
    Address owned_contract = {};  // whose owner() is checked
    bool wait_for_receipt = false;  // forced wait (DeployApp needs the receipt)
  };
  struct WriteResult {
    Hash32 hash;
    std::optional<Receipt> receipt;
  };

  absl::StatusOr<ChainBackend*> Chain(uint64_t chain_id) const;
  absl::StatusOr<WriteResult> Write(const WriteCall& call, chainkms::v1::TransactionStatus* out);
  absl::StatusOr<Address> ReadOwner(ChainBackend& chain, const Address& contract, bool pending);
  absl::StatusOr<PinnedBlock> PinAt(ChainBackend& chain, uint64_t block_number);
  absl::Status FillTxStatus(ChainBackend& chain, const Hash32& hash, uint32_t confirmations,
                            chainkms::v1::TransactionStatus* out);

  absl::Status DoGetApp(const chainkms::v1::GetAppRequest& req, chainkms::v1::GetAppResponse* resp);
  absl::Status DoCheckPrerequisites(const chainkms::v1::CheckPrerequisitesRequest& req,
                                    chainkms::v1::CheckPrerequisitesResponse* resp);
  absl::Status DoVerify(const chainkms::v1::VerifyComposeHashTransactionRequest& req,
                        chainkms::v1::VerifyComposeHashTransactionResponse* resp);
  absl::Status DoGetKmsInfo(const chainkms::v1::GetKmsInfoRequest& req,
                            chainkms::v1::GetKmsInfoResponse* resp);
  absl::Status DoCheckKmsAllowlists(const chainkms::v1::CheckKmsAllowlistsRequest& req,
                                    chainkms::v1::CheckKmsAllowlistsResponse* resp);
  absl::Status DoDeployApp(const chainkms::v1::DeployAppRequest& req,
                           chainkms::v1::DeployAppResponse* resp);
  absl::Status DoWatch(Ctx* ctx, const chainkms::v1::WatchPolicyEventsRequest& req,
                       grpc::ServerWriter<chainkms::v1::WatchPolicyEventsResponse>* writer);
  absl::Status DoPrepare(const chainkms::v1::PrepareTransactionRequest& req,
                         chainkms::v1::PrepareTransactionResponse* resp);
  absl::Status DoSubmit(const chainkms::v1::SubmitSignedTransactionRequest& req,
                        chainkms::v1::SubmitSignedTransactionResponse* resp);
  absl::Status DoGetTransaction(const chainkms::v1::GetTransactionRequest& req,
                                chainkms::v1::GetTransactionResponse* resp);

  std::map<uint64_t, std::unique_ptr<ChainBackend>> chains_;
  std::shared_ptr<SignerRegistry> signers_;
  server::ConcurrencyLimiter* limiter_;
  server::Metrics* metrics_;
  RegistryOptions options_;
};

// Gives a status from lib a stable reason (kept when it already has one): UNAVAILABLE →
// CHAIN_UNAVAILABLE, reverts → EXECUTION_REVERTED, INVALID_ARGUMENT → INVALID_FIELD, ...
absl::Status Classify(absl::Status status);

}  // namespace chainkms::registry
