// RegistryService: chainkms.v1.Registry over lib/chain, for one or more chains — the gRPC
// adapter. Each handler is Handle(limiter, core, ClassifyChainError): shed, validate every field
// at the edge (lib/server/proto_fields.h, proto_convert.h: sized bytes never padded, every
// length bounded; INVALID_ARGUMENT reason INVALID_FIELD naming the field), pick the chain
// (UNKNOWN_CHAIN), run the core, give errors their reason and metadata. Writes are signed by the
// SignerSet key of the request's `from` (UNKNOWN_SIGNER otherwise) and refused before sending
// when that signer is not the contract's owner (FAILED_PRECONDITION NOT_OWNER, metadata
// contract/owner/from). A write with an idempotency key is sent at most once per replica.
//
// The handlers live in one file per concern: registry_writes.cc (policy and KMS writes),
// registry_reads.cc (decisions and state), registry_transactions.cc (prepare, submit, status),
// registry_watch.cc (the event stream).
//
//   ChainSet chains;
//   chains.Add(*ConnectChain({.chain_id = 31337, .rpc_urls = {url}, .kms = kms}, {}, clock));
//   RegistryService registry(std::move(chains), signers, server.serving(), clock);
//   server.AddService(&registry);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "lib/chain/chain_set.h"
#include "lib/chain/reader.h"
#include "lib/chain/signer_set.h"
#include "lib/common/clock.h"
#include "lib/server/server.h"
#include "services/registry/idempotency.h"

namespace chainkms::registry {

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
  using Ctx = grpc::ServerContext;

  // `serving`'s pointers and `clock` must outlive the service.
  RegistryService(ChainSet chains, std::shared_ptr<const SignerSet> signers,
                  server::Serving serving, Clock& clock, RegistryOptions options = {});
  ~RegistryService() override;

  // Policy writes (registry_writes.cc).
  grpc::Status DeployApp(Ctx*, const chainkms::v1::DeployAppRequest*,
                         chainkms::v1::DeployAppResponse*) override;
  grpc::Status AddComposeHash(Ctx*, const chainkms::v1::AddComposeHashRequest*,
                              chainkms::v1::AddComposeHashResponse*) override;
  grpc::Status RemoveComposeHash(Ctx*, const chainkms::v1::RemoveComposeHashRequest*,
                                 chainkms::v1::RemoveComposeHashResponse*) override;
  grpc::Status AddDevice(Ctx*, const chainkms::v1::AddDeviceRequest*,
                         chainkms::v1::AddDeviceResponse*) override;
  grpc::Status RemoveDevice(Ctx*, const chainkms::v1::RemoveDeviceRequest*,
                            chainkms::v1::RemoveDeviceResponse*) override;
  grpc::Status SetAllowAnyDevice(Ctx*, const chainkms::v1::SetAllowAnyDeviceRequest*,
                                 chainkms::v1::SetAllowAnyDeviceResponse*) override;
  grpc::Status SetRequireTcbUpToDate(Ctx*, const chainkms::v1::SetRequireTcbUpToDateRequest*,
                                     chainkms::v1::SetRequireTcbUpToDateResponse*) override;
  grpc::Status DisableUpgrades(Ctx*, const chainkms::v1::DisableUpgradesRequest*,
                               chainkms::v1::DisableUpgradesResponse*) override;
  grpc::Status TransferOwnership(Ctx*, const chainkms::v1::TransferOwnershipRequest*,
                                 chainkms::v1::TransferOwnershipResponse*) override;
  grpc::Status AcceptOwnership(Ctx*, const chainkms::v1::AcceptOwnershipRequest*,
                               chainkms::v1::AcceptOwnershipResponse*) override;
  grpc::Status RegisterApp(Ctx*, const chainkms::v1::RegisterAppRequest*,
                           chainkms::v1::RegisterAppResponse*) override;
  // KMS administration writes (registry_writes.cc).
  grpc::Status AddOsImageHash(Ctx*, const chainkms::v1::AddOsImageHashRequest*,
                              chainkms::v1::AddOsImageHashResponse*) override;
  grpc::Status RemoveOsImageHash(Ctx*, const chainkms::v1::RemoveOsImageHashRequest*,
                                 chainkms::v1::RemoveOsImageHashResponse*) override;
  grpc::Status AddKmsAggregatedMr(Ctx*, const chainkms::v1::AddKmsAggregatedMrRequest*,
                                  chainkms::v1::AddKmsAggregatedMrResponse*) override;
  grpc::Status RemoveKmsAggregatedMr(Ctx*, const chainkms::v1::RemoveKmsAggregatedMrRequest*,
                                     chainkms::v1::RemoveKmsAggregatedMrResponse*) override;
  grpc::Status AddKmsDevice(Ctx*, const chainkms::v1::AddKmsDeviceRequest*,
                            chainkms::v1::AddKmsDeviceResponse*) override;
  grpc::Status RemoveKmsDevice(Ctx*, const chainkms::v1::RemoveKmsDeviceRequest*,
                               chainkms::v1::RemoveKmsDeviceResponse*) override;
  grpc::Status SetKmsInfo(Ctx*, const chainkms::v1::SetKmsInfoRequest*,
                          chainkms::v1::SetKmsInfoResponse*) override;
  grpc::Status SetAppImplementation(Ctx*, const chainkms::v1::SetAppImplementationRequest*,
                                    chainkms::v1::SetAppImplementationResponse*) override;
  grpc::Status SetGatewayAppId(Ctx*, const chainkms::v1::SetGatewayAppIdRequest*,
                               chainkms::v1::SetGatewayAppIdResponse*) override;

  // Reads (registry_reads.cc).
  grpc::Status GetApp(Ctx*, const chainkms::v1::GetAppRequest*, chainkms::v1::GetAppResponse*) override;
  grpc::Status CheckPrerequisites(Ctx*, const chainkms::v1::CheckPrerequisitesRequest*,
                                  chainkms::v1::CheckPrerequisitesResponse*) override;
  grpc::Status IsAppAllowed(Ctx*, const chainkms::v1::IsAppAllowedRequest*,
                            chainkms::v1::IsAppAllowedResponse*) override;
  grpc::Status IsKmsAllowed(Ctx*, const chainkms::v1::IsKmsAllowedRequest*,
                            chainkms::v1::IsKmsAllowedResponse*) override;
  grpc::Status CheckDeviceAllowed(Ctx*, const chainkms::v1::CheckDeviceAllowedRequest*,
                                  chainkms::v1::CheckDeviceAllowedResponse*) override;
  grpc::Status GetKmsInfo(Ctx*, const chainkms::v1::GetKmsInfoRequest*,
                          chainkms::v1::GetKmsInfoResponse*) override;
  grpc::Status CheckKmsAllowlists(Ctx*, const chainkms::v1::CheckKmsAllowlistsRequest*,
                                  chainkms::v1::CheckKmsAllowlistsResponse*) override;

  // Transactions (registry_transactions.cc).
  grpc::Status VerifyComposeHashTransaction(Ctx*,
                                            const chainkms::v1::VerifyComposeHashTransactionRequest*,
                                            chainkms::v1::VerifyComposeHashTransactionResponse*) override;
  grpc::Status PrepareTransaction(Ctx*, const chainkms::v1::PrepareTransactionRequest*,
                                  chainkms::v1::PrepareTransactionResponse*) override;
  grpc::Status SubmitSignedTransaction(Ctx*, const chainkms::v1::SubmitSignedTransactionRequest*,
                                       chainkms::v1::SubmitSignedTransactionResponse*) override;
  grpc::Status GetTransaction(Ctx*, const chainkms::v1::GetTransactionRequest*,
                              chainkms::v1::GetTransactionResponse*) override;

  // The event stream (registry_watch.cc).
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
    Address owned_contract = {};    // whose owner() is checked
    bool wait_for_receipt = false;  // forced wait (DeployApp needs the receipt)
  };
  struct WriteResult {
    Hash32 hash;
    std::optional<Receipt> receipt;
  };

  // The shape every handler shares (lib/server Handle with the chain classifier).
  template <typename Body>
  grpc::Status Unary(Body&& body);

  absl::StatusOr<WriteResult> Write(const WriteCall& call, chainkms::v1::TransactionStatus* out);
  // A write to `app` that its owner must sign.
  template <typename Request>
  absl::Status AppWrite(const Request& req, const Address& app, Bytes data,
                        chainkms::v1::TransactionStatus* out);
  // A write to the chain's DstackKms that its owner must sign.
  template <typename Request>
  absl::Status KmsWrite(const Request& req, Bytes data, chainkms::v1::TransactionStatus* out);
  absl::StatusOr<WriteResult> SendOnce(Chain& chain, const WriteCall& call,
                                       std::shared_ptr<Signer> signer);
  absl::StatusOr<Address> ReadOwner(Chain& chain, const Address& contract, bool pending);
  // The block a request names as a read's block tag (0: latest); no round trip.
  static std::optional<PinnedBlock> At(uint64_t block_number);
  // A read at an explicit block failed: INVALID_FIELD "block_number" when the block is beyond
  // the head (one eth_blockNumber, on this error path only), else `status` unchanged.
  absl::Status ExplainBlockError(Chain& chain, uint64_t block_number, absl::Status status);
  absl::Status FillTxStatus(Chain& chain, const Hash32& hash, uint32_t confirmations,
                            chainkms::v1::TransactionStatus* out);
  uint32_t Confirmations(uint32_t requested) const;
  absl::Duration WaitTimeout(const chainkms::v1::WriteOptions& options) const;

  absl::Status DoDeployApp(const chainkms::v1::DeployAppRequest& req,
                           chainkms::v1::DeployAppResponse* resp);
  absl::Status DoGetApp(const chainkms::v1::GetAppRequest& req, chainkms::v1::GetAppResponse* resp);
  absl::Status DoCheckPrerequisites(const chainkms::v1::CheckPrerequisitesRequest& req,
                                    chainkms::v1::CheckPrerequisitesResponse* resp);
  absl::Status DoCheckDeviceAllowed(const chainkms::v1::CheckDeviceAllowedRequest& req,
                                    chainkms::v1::CheckDeviceAllowedResponse* resp);
  absl::Status DoGetKmsInfo(const chainkms::v1::GetKmsInfoRequest& req,
                            chainkms::v1::GetKmsInfoResponse* resp);
  absl::Status DoCheckKmsAllowlists(const chainkms::v1::CheckKmsAllowlistsRequest& req,
                                    chainkms::v1::CheckKmsAllowlistsResponse* resp);
  absl::Status DoVerify(const chainkms::v1::VerifyComposeHashTransactionRequest& req,
                        chainkms::v1::VerifyComposeHashTransactionResponse* resp);
  absl::Status DoPrepare(const chainkms::v1::PrepareTransactionRequest& req,
                         chainkms::v1::PrepareTransactionResponse* resp);
  absl::Status DoSubmit(const chainkms::v1::SubmitSignedTransactionRequest& req,
                        chainkms::v1::SubmitSignedTransactionResponse* resp);
  absl::Status DoGetTransaction(const chainkms::v1::GetTransactionRequest& req,
                                chainkms::v1::GetTransactionResponse* resp);
  absl::Status DoWatch(Ctx* ctx, const chainkms::v1::WatchPolicyEventsRequest& req,
                       grpc::ServerWriter<chainkms::v1::WatchPolicyEventsResponse>* writer);
  // Waits up to the poll interval; false when the stream must end (cancelled or stopping).
  bool WaitForNextPoll(Ctx* ctx) const;

  ChainSet chains_;
  std::shared_ptr<const SignerSet> signers_;
  server::Serving serving_;
  Clock& clock_;
  RegistryOptions options_;
  IdempotencyCache idempotency_;
};

}  // namespace chainkms::registry
