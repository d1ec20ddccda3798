#include "services/registry/registry_service.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/chain/contracts.h"
#include "lib/chain/eth_rpc.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/jsonrpc/errors.h"
#include "lib/jsonrpc/failover.h"
#include "lib/server/status.h"
#include "services/registry/prepare.h"
#include "services/registry/submit.h"

namespace chainkms::registry {
namespace {

namespace pb = ::chainkms::v1;
using server::WithReason;

absl::Status InvalidField(std::string_view field, std::string_view what) {
  return WithReason(absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(what))),
                    "INVALID_FIELD");
}

template <size_t N>
absl::StatusOr<FixedBytes<N>> Exact(const std::string& b, std::string_view field) {
  if (b.size() != N) {
    return InvalidField(field, absl::StrCat("must be exactly ", N, " bytes, got ", b.size()));
  }
  FixedBytes<N> out;
  std::memcpy(out.data(), b.data(), N);
  return out;
}
absl::StatusOr<Hash32> ToHash(const std::string& b, std::string_view field) { return Exact<32>(b, field); }
absl::StatusOr<Address> ToAddress(const std::string& b, std::string_view field) {
  return Exact<20>(b, field);
}
// Empty means "none" (zero); anything else must be exact.
absl::StatusOr<Hash32> OptionalHash(const std::string& b, std::string_view field) {
  if (b.empty()) return Hash32{};
  return ToHash(b, field);
}

std::string Raw(ByteView b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }
template <size_t N>
std::string Raw(const FixedBytes<N>& b) { return Raw(ByteView(b.bytes)); }

absl::StatusOr<::chainkms::AppBootInfo> ToBootInfo(const pb::AppBootInfo& in) {
  ::chainkms::AppBootInfo out;
  ASSIGN_OR_RETURN(out.app_id, ToAddress(in.app_id(), "boot_info.app_id"));
  ASSIGN_OR_RETURN(out.compose_hash, ToHash(in.compose_hash(), "boot_info.compose_hash"));
  ASSIGN_OR_RETURN(out.instance_id, ToAddress(in.instance_id(), "boot_info.instance_id"));
  ASSIGN_OR_RETURN(out.device_id, ToHash(in.device_id(), "boot_info.device_id"));
  ASSIGN_OR_RETURN(out.mr_aggregated, ToHash(in.mr_aggregated(), "boot_info.mr_aggregated"));
  ASSIGN_OR_RETURN(out.mr_system, ToHash(in.mr_system(), "boot_info.mr_system"));
  ASSIGN_OR_RETURN(out.os_image_hash, ToHash(in.os_image_hash(), "boot_info.os_image_hash"));
  out.tcb_status = in.tcb_status();
  out.advisory_ids.assign(in.advisory_ids().begin(), in.advisory_ids().end());
  return out;
}

pb::TransactionState ToProto(TxState s) {
  switch (s) {
    case TxState::kPending: return pb::TRANSACTION_STATE_PENDING;
    case TxState::kConfirmed: return pb::TRANSACTION_STATE_CONFIRMED;
    case TxState::kFailed: return pb::TRANSACTION_STATE_FAILED;
    case TxState::kReplaced: return pb::TRANSACTION_STATE_REPLACED;
    case TxState::kDropped: return pb::TRANSACTION_STATE_DROPPED;
  }
  return pb::TRANSACTION_STATE_UNSPECIFIED;
}

std::string_view StateLabel(pb::TransactionState s) {
  switch (s) {
    case pb::TRANSACTION_STATE_PENDING: return "pending";
    case pb::TRANSACTION_STATE_CONFIRMED: return "confirmed";
    case pb::TRANSACTION_STATE_FAILED: return "failed";
    case pb::TRANSACTION_STATE_REPLACED: return "replaced";
    case pb::TRANSACTION_STATE_DROPPED: return "dropped";
    default: return "unspecified";
  }
}

// Sets the oneof of `out` for `e`; false for events the API does not carry.
bool SetEvent(const ContractEvent& e, pb::WatchPolicyEventsResponse* out) {
  if (auto* v = std::get_if<ComposeHashAdded>(&e)) { out->set_compose_hash_added(Raw(v->hash)); return true; }
  if (auto* v = std::get_if<ComposeHashRemoved>(&e)) { out->set_compose_hash_removed(Raw(v->hash)); return true; }
  if (auto* v = std::get_if<DeviceAdded>(&e)) { out->set_device_added(Raw(v->device_id)); return true; }
  if (auto* v = std::get_if<DeviceRemoved>(&e)) { out->set_device_removed(Raw(v->device_id)); return true; }
  if (auto* v = std::get_if<AllowAnyDeviceSet>(&e)) { out->set_allow_any_device_set(v->allow_any); return true; }
  if (auto* v = std::get_if<RequireTcbUpToDateSet>(&e)) { out->set_require_tcb_up_to_date_set(v->require); return true; }
  if (std::holds_alternative<UpgradesDisabled>(e)) { out->set_upgrades_disabled(true); return true; }
  if (auto* v = std::get_if<OwnershipTransferStarted>(&e)) {
    out->mutable_ownership_transfer_started()->set_previous_owner(Raw(v->previous_owner));
    out->mutable_ownership_transfer_started()->set_new_owner(Raw(v->new_owner));
    return true;
  }
  if (auto* v = std::get_if<OwnershipTransferred>(&e)) {
    out->mutable_ownership_transferred()->set_previous_owner(Raw(v->previous_owner));
    out->mutable_ownership_transferred()->set_new_owner(Raw(v->new_owner));
    return true;
  }
  if (auto* v = std::get_if<Upgraded>(&e)) { out->set_upgraded(Raw(v->implementation)); return true; }
  if (auto* v = std::get_if<AppDeployedViaFactory>(&e)) {
    out->mutable_app_deployed()->set_app_id(Raw(v->app_id));
    out->mutable_app_deployed()->set_deployer(Raw(v->deployer));
    return true;
  }
  if (auto* v = std::get_if<AppRegistered>(&e)) { out->set_app_registered(Raw(v->app_id)); return true; }
  if (auto* v = std::get_if<AppImplementationSet>(&e)) { out->set_app_implementation_set(Raw(v->implementation)); return true; }
  if (auto* v = std::get_if<KmsInfoSet>(&e)) { out->set_kms_info_set(Raw(v->k256_pubkey)); return true; }
  if (auto* v = std::get_if<GatewayAppIdSet>(&e)) { out->set_gateway_app_id_set(v->gateway_app_id); return true; }
  if (auto* v = std::get_if<OsImageHashAdded>(&e)) { out->set_os_image_hash_added(Raw(v->hash)); return true; }
  if (auto* v = std::get_if<OsImageHashRemoved>(&e)) { out->set_os_image_hash_removed(Raw(v->hash)); return true; }
  if (auto* v = std::get_if<KmsAggregatedMrAdded>(&e)) { out->set_kms_aggregated_mr_added(Raw(v->mr)); return true; }
  if (auto* v = std::get_if<KmsAggregatedMrRemoved>(&e)) { out->set_kms_aggregated_mr_removed(Raw(v->mr)); return true; }
  if (auto* v = std::get_if<KmsDeviceAdded>(&e)) { out->set_kms_device_added(Raw(v->device_id)); return true; }
  if (auto* v = std::get_if<KmsDeviceRemoved>(&e)) { out->set_kms_device_removed(Raw(v->device_id)); return true; }
  return false;  // PolicyChanged, Initialized: covered by the specific events
}

absl::StatusOr<Bytes> CallAt(ChainBackend& chain, const Address& to, Bytes data, uint64_t block) {
  return eth_rpc::Call(*chain.rpc, CallRequest{.to = to, .data = std::move(data)},
                       BlockTag::Number(block));
}

}  // namespace

absl::Status Classify(absl::Status s) {
  if (s.ok() || server::ReasonOf(s).has_value()) return s;
  if (std::optional<RpcError> e = GetRpcError(s)) {
    switch (e->kind) {
      case RpcErrorKind::kExecutionReverted: return WithReason(std::move(s), "EXECUTION_REVERTED");
      case RpcErrorKind::kInsufficientFunds: return WithReason(std::move(s), "INSUFFICIENT_FUNDS");
      case RpcErrorKind::kNonceTooLow: return WithReason(std::move(s), "NONCE_TOO_LOW");
      default: break;
    }
  }
  if (absl::StrContains(s.message(), "execution reverted")) {
    return WithReason(std::move(s), "EXECUTION_REVERTED");
  }
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return WithReason(std::move(s), "CHAIN_UNAVAILABLE");
    case absl::StatusCode::kInvalidArgument: return WithReason(std::move(s), "INVALID_FIELD");
    case absl::StatusCode::kFailedPrecondition:
      if (absl::StrContains(s.message(), "no contract")) return WithReason(std::move(s), "APP_NOT_FOUND");
      return s;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      return WithReason(std::move(s), "INTERNAL");
    default: return s;
  }
}

absl::StatusOr<std::unique_ptr<ChainBackend>> ConnectChain(const ChainConfig& config,
                                                           const ChainOptions& options) {
  std::vector<std::shared_ptr<JsonRpcTransport>> endpoints;
  for (const std::string& url : config.rpc_urls) {
    absl::StatusOr<std::shared_ptr<CurlTransport>> t = CurlTransport::Create({.url = url});
    if (!t.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("chain ", config.chain_id, ": rpc endpoint ",
                                                     endpoints.size() + 1, ": ",
                                                     std::string(t.status().message())));
    }
    endpoints.push_back(*t);
  }
  std::span<const std::string> known = KnownCustomErrors();
  FailoverOptions fo;
  fo.custom_error_signatures.assign(known.begin(), known.end());
  auto rpc = std::make_unique<FailoverClient>(std::move(endpoints), fo);
  absl::Status check = rpc->ConnectAndCheckChainId(config.chain_id);
  if (!check.ok()) {
    return absl::Status(check.code(), absl::StrCat("chain ", config.chain_id, ": ",
                                                   std::string(check.message())));
  }
  auto backend = std::make_unique<ChainBackend>();
  backend->chain_id = config.chain_id;
  backend->kms = config.kms;
  backend->reader = std::make_unique<ChainReader>(*rpc, ChainReaderConfig{.kms = config.kms});
  backend->txm = std::make_unique<TxManager>(*rpc, config.chain_id, SystemClock::Get(),
                                             TxManagerOptions{.poll_interval = options.tx_poll_interval});
  backend->rpc = std::move(rpc);
  return backend;
}

RegistryService::RegistryService(std::vector<std::unique_ptr<ChainBackend>> chains,
                                 std::shared_ptr<SignerRegistry> signers,
                                 server::ConcurrencyLimiter* limiter, server::Metrics* metrics,
                                 RegistryOptions options)
    : signers_(std::move(signers)), limiter_(limiter), metrics_(metrics), options_(options) {
  for (auto& c : chains) {
    uint64_t id = c->chain_id;
    chains_[id] = std::move(c);
  }
  if (!signers_) signers_ = std::make_shared<StaticSignerRegistry>();
}

RegistryService::~RegistryService() = default;

absl::StatusOr<ChainBackend*> RegistryService::Chain(uint64_t chain_id) const {
  auto it = chains_.find(chain_id);
  if (it == chains_.end()) {
    std::vector<std::string> served;
    for (const auto& [id, c] : chains_) served.push_back(absl::StrCat(id));
    return WithReason(absl::InvalidArgumentError(absl::StrCat(
                          "chain_id: chain ", chain_id, " is not served here (served: ",
                          absl::StrJoin(served, ", "), ")")),
                      "UNKNOWN_CHAIN");
  }
  return it->second.get();
}

absl::StatusOr<PinnedBlock> RegistryService::PinAt(ChainBackend& chain, uint64_t block_number) {
  if (block_number == 0) return chain.reader->LatestBlock();
  ASSIGN_OR_RETURN(BlockHeader h, eth_rpc::GetBlock(*chain.rpc, BlockTag::Number(block_number)));
  return h.block;
}

absl::StatusOr<Address> RegistryService::ReadOwner(ChainBackend& chain, const Address& contract,
                                                   bool pending) {
  ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(*chain.rpc,
                                            CallRequest{.to = contract,
                                                        .data = pending ? ownable::PendingOwner()
                                                                        : ownable::Owner()},
                                            BlockTag::Latest()));
  return DecodeAddressResult(ret);
}

absl::Status RegistryService::FillTxStatus(ChainBackend& chain, const Hash32& hash,
                                           uint32_t confirmations,
                                           pb::TransactionStatus* out) {
  if (confirmations == 0) confirmations = options_.default_confirmations;
  out->set_chain_id(chain.chain_id);
  out->set_tx_hash(Raw(hash));
  std::optional<Receipt> receipt;
  std::optional<TxStatus> st = chain.txm->GetStatus(hash);
  if (st.has_value()) {
    out->set_from(Raw(st->from));
    out->set_nonce(st->nonce);
    out->set_state(ToProto(st->state));
    if (st->replaced_by) out->set_replaced_by(Raw(*st->replaced_by));
    out->set_failure_reason(st->reason);
    receipt = st->receipt;
    if (!receipt.has_value() && st->state == TxState::kPending) {
      // Nobody is waiting on it: ask the chain whether it was mined meanwhile.
      ASSIGN_OR_RETURN(receipt, chain.reader->GetReceipt(hash));
      if (receipt.has_value()) out->set_state(pb::TRANSACTION_STATE_CONFIRMED);
    }
  } else {
    ASSIGN_OR_RETURN(receipt, chain.reader->GetReceipt(hash));
    if (!receipt.has_value()) {
      ASSIGN_OR_RETURN(bool known, eth_rpc::TransactionKnown(*chain.rpc, hash));
      if (!known) {
        return WithReason(absl::NotFoundError(absl::StrCat("tx_hash: transaction ", Hex0x(hash.view()),
                                                           " is unknown to chain ", chain.chain_id,
                                                           " and to this server")),
                          "TRANSACTION_NOT_FOUND");
      }
      out->set_state(pb::TRANSACTION_STATE_PENDING);
      return absl::OkStatus();
    }
    out->set_from(Raw(receipt->from));
    out->set_state(receipt->success ? pb::TRANSACTION_STATE_CONFIRMED : pb::TRANSACTION_STATE_FAILED);
    if (!receipt->success) out->set_failure_reason("reverted on chain");
  }
  if (receipt.has_value()) {
    if (receipt->to) out->set_to(Raw(*receipt->to));
    out->set_block_number(receipt->block_number);
    out->set_block_hash(Raw(receipt->block_hash));
    out->set_gas_used(receipt->gas_used);
    out->set_effective_gas_price_wei(receipt->effective_gas_price.ToDecimal());
    if (!receipt->success) {
      out->set_state(pb::TRANSACTION_STATE_FAILED);
      if (out->failure_reason().empty()) out->set_failure_reason("reverted on chain");
    }
    ASSIGN_OR_RETURN(uint64_t head, chain.reader->BlockNumber());
    out->set_confirmations(head >= receipt->block_number ? head - receipt->block_number + 1 : 0);
  }
  switch (out->state()) {
    case pb::TRANSACTION_STATE_CONFIRMED: out->set_final(out->confirmations() >= confirmations); break;
    case pb::TRANSACTION_STATE_FAILED:
    case pb::TRANSACTION_STATE_REPLACED:
    case pb::TRANSACTION_STATE_DROPPED: out->set_final(true); break;
    default: break;
  }
  return absl::OkStatus();
}

absl::StatusOr<RegistryService::WriteResult> RegistryService::Write(const WriteCall& call,
                                                                    pb::TransactionStatus* out) {
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(call.chain_id));
  ASSIGN_OR_RETURN(Address from, ToAddress(*call.from, "from"));
  std::shared_ptr<Signer> signer = signers_->Find(from);
  if (signer == nullptr) {
    return WithReason(absl::InvalidArgumentError(absl::StrCat(
                          "from: no signing key is loaded for ", ToChecksumAddress(from))),
                      "UNKNOWN_SIGNER");
  }
  if (call.check != OwnerCheck::kNone) {
    const bool pending = call.check == OwnerCheck::kPendingOwner;
    ASSIGN_OR_RETURN(Address owner, ReadOwner(*chain, call.owned_contract, pending));
    if (owner != from) {
      return WithReason(
          absl::FailedPreconditionError(absl::StrCat(
              pending ? "the pending owner of " : "the owner of ",
              ToChecksumAddress(call.owned_contract), " is ", ToChecksumAddress(owner), ", not ",
              ToChecksumAddress(from), "; nothing was sent")),
          "NOT_OWNER");
    }
  }
  ASSIGN_OR_RETURN(SentTx sent, chain->txm->Send({.signer = signer, .to = call.to, .data = call.data}));
  uint32_t confirmations = call.options->confirmations();
  if (confirmations == 0) confirmations = options_.default_confirmations;
  WriteResult result{.hash = sent.hash, .receipt = std::nullopt};
  if (call.options->wait()) {
    absl::Duration timeout = call.options->wait_timeout_seconds() > 0
                                 ? absl::Seconds(call.options->wait_timeout_seconds())
                                 : options_.default_wait_timeout;
    absl::StatusOr<Receipt> r = chain->txm->WaitForReceipt(sent.hash, confirmations, timeout);
    if (r.ok()) {
      result.receipt = *r;
    } else if (!absl::IsDeadlineExceeded(r.status())) {
      return r.status();
    }
  }
  RETURN_IF_ERROR(FillTxStatus(*chain, sent.hash, confirmations, out));
  if (out->to().empty()) out->set_to(Raw(call.to));
  if (metrics_ != nullptr) metrics_->RecordTransactionState(StateLabel(out->state()));
  return result;
}

// ---- handlers ---------------------------------------------------------------------------------

#define CHAINKMS_HANDLE(body)                                  \
  CHAINKMS_SHED_IF_OVERLOADED(*limiter_);                      \
  return server::ToGrpcStatus(Classify([&]() -> absl::Status { \
    body                                                       \
  }()))

// A write to an app whose owner must sign.
#define CHAINKMS_APP_WRITE(Name, data_expr)                                                   \
  grpc::Status RegistryService::Name(Ctx*, const pb::Name##Request* req,                     \
                                     pb::Name##Response* resp) {                             \
    CHAINKMS_HANDLE({                                                                         \
      ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));                      \
      Bytes data = {};                                                                        \
      data_expr;                                                                              \
      return Write({.chain_id = req->chain_id(), .from = &req->from(),                        \
                    .options = &req->options(), .to = app, .data = std::move(data),           \
                    .check = OwnerCheck::kOwner, .owned_contract = app},                      \
                   resp->mutable_transaction())                                               \
          .status();                                                                          \
    });                                                                                       \
  }

CHAINKMS_APP_WRITE(AddComposeHash, {
  ASSIGN_OR_RETURN(Hash32 h, ToHash(req->compose_hash(), "compose_hash"));
  data = dstack_app::AddComposeHash(h);
})
CHAINKMS_APP_WRITE(RemoveComposeHash, {
  ASSIGN_OR_RETURN(Hash32 h, ToHash(req->compose_hash(), "compose_hash"));
  data = dstack_app::RemoveComposeHash(h);
})
CHAINKMS_APP_WRITE(AddDevice, {
  ASSIGN_OR_RETURN(Hash32 d, ToHash(req->device_id(), "device_id"));
  data = dstack_app::AddDevice(d);
})
CHAINKMS_APP_WRITE(RemoveDevice, {
  ASSIGN_OR_RETURN(Hash32 d, ToHash(req->device_id(), "device_id"));
  data = dstack_app::RemoveDevice(d);
})
CHAINKMS_APP_WRITE(SetAllowAnyDevice, { data = dstack_app::SetAllowAnyDevice(req->allow_any_device()); })
CHAINKMS_APP_WRITE(SetRequireTcbUpToDate,
                   { data = dstack_app::SetRequireTcbUpToDate(req->require_tcb_up_to_date()); })
CHAINKMS_APP_WRITE(DisableUpgrades, { data = dstack_app::DisableUpgrades(); })

// A write to the chain's DstackKms, whose owner must sign.
#define CHAINKMS_KMS_WRITE(Name, data_expr)                                                   \
  grpc::Status RegistryService::Name(Ctx*, const pb::Name##Request* req,                     \
                                     pb::Name##Response* resp) {                             \
    CHAINKMS_HANDLE({                                                                         \
      Bytes data = {};                                                                        \
      data_expr;                                                                              \
      ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req->chain_id()));                         \
      return Write({.chain_id = req->chain_id(), .from = &req->from(),                        \
                    .options = &req->options(), .to = chain->kms, .data = std::move(data),    \
                    .check = OwnerCheck::kOwner, .owned_contract = chain->kms},               \
                   resp->mutable_transaction())                                               \
          .status();                                                                          \
    });                                                                                       \
  }

CHAINKMS_KMS_WRITE(AddOsImageHash, {
  ASSIGN_OR_RETURN(Hash32 h, ToHash(req->os_image_hash(), "os_image_hash"));
  data = dstack_kms::AddOsImageHash(h);
})
CHAINKMS_KMS_WRITE(RemoveOsImageHash, {
  ASSIGN_OR_RETURN(Hash32 h, ToHash(req->os_image_hash(), "os_image_hash"));
  data = dstack_kms::RemoveOsImageHash(h);
})
CHAINKMS_KMS_WRITE(AddKmsAggregatedMr, {
  ASSIGN_OR_RETURN(Hash32 h, ToHash(req->mr_aggregated(), "mr_aggregated"));
  data = dstack_kms::AddKmsAggregatedMr(h);
})
CHAINKMS_KMS_WRITE(RemoveKmsAggregatedMr, {
  ASSIGN_OR_RETURN(Hash32 h, ToHash(req->mr_aggregated(), "mr_aggregated"));
  data = dstack_kms::RemoveKmsAggregatedMr(h);
})
CHAINKMS_KMS_WRITE(AddKmsDevice, {
  ASSIGN_OR_RETURN(Hash32 h, ToHash(req->device_id(), "device_id"));
  data = dstack_kms::AddKmsDevice(h);
})
CHAINKMS_KMS_WRITE(RemoveKmsDevice, {
  ASSIGN_OR_RETURN(Hash32 h, ToHash(req->device_id(), "device_id"));
  data = dstack_kms::RemoveKmsDevice(h);
})
CHAINKMS_KMS_WRITE(SetKmsInfo, {
  const pb::KmsInfo& k = req->kms_info();
  auto b = [](const std::string& s) { return Bytes(s.begin(), s.end()); };
  data = dstack_kms::SetKmsInfo(::chainkms::KmsInfo{.k256_pubkey = b(k.k256_pubkey()),
                                                    .ca_pubkey = b(k.ca_pubkey()),
                                                    .quote = b(k.quote()),
                                                    .eventlog = b(k.eventlog())});
})
CHAINKMS_KMS_WRITE(SetAppImplementation, {
  ASSIGN_OR_RETURN(Address impl, ToAddress(req->implementation(), "implementation"));
  data = dstack_kms::SetAppImplementation(impl);
})
CHAINKMS_KMS_WRITE(SetGatewayAppId, {
  if (req->gateway_app_id().empty()) return InvalidField("gateway_app_id", "must not be empty");
  data = dstack_kms::SetGatewayAppId(req->gateway_app_id());
})

grpc::Status RegistryService::TransferOwnership(Ctx*, const pb::TransferOwnershipRequest* req,
                                                pb::TransferOwnershipResponse* resp) {
  CHAINKMS_HANDLE({
    ASSIGN_OR_RETURN(Address contract, ToAddress(req->contract(), "contract"));
    ASSIGN_OR_RETURN(Address new_owner, ToAddress(req->new_owner(), "new_owner"));
    return Write({.chain_id = req->chain_id(), .from = &req->from(), .options = &req->options(),
                  .to = contract, .data = ownable::TransferOwnership(new_owner),
                  .check = OwnerCheck::kOwner, .owned_contract = contract},
                 resp->mutable_transaction())
        .status();
  });
}

grpc::Status RegistryService::AcceptOwnership(Ctx*, const pb::AcceptOwnershipRequest* req,
                                              pb::AcceptOwnershipResponse* resp) {
  CHAINKMS_HANDLE({
    ASSIGN_OR_RETURN(Address contract, ToAddress(req->contract(), "contract"));
    return Write({.chain_id = req->chain_id(), .from = &req->from(), .options = &req->options(),
                  .to = contract, .data = ownable::AcceptOwnership(),
                  .check = OwnerCheck::kPendingOwner, .owned_contract = contract},
                 resp->mutable_transaction())
        .status();
  });
}

grpc::Status RegistryService::RegisterApp(Ctx*, const pb::RegisterAppRequest* req,
                                          pb::RegisterAppResponse* resp) {
  CHAINKMS_HANDLE({
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req->chain_id()));
    return Write({.chain_id = req->chain_id(), .from = &req->from(), .options = &req->options(),
                  .to = chain->kms, .data = dstack_kms::RegisterApp(app),
                  .check = OwnerCheck::kOwner, .owned_contract = app},
                 resp->mutable_transaction())
        .status();
  });
}

absl::Status RegistryService::DoDeployApp(const pb::DeployAppRequest& req,
                                          pb::DeployAppResponse* resp) {
  ASSIGN_OR_RETURN(Address from, ToAddress(req.from(), "from"));
  AppPolicyInit init{.owner = from,
                     .disable_upgrades = req.disable_upgrades(),
                     .require_tcb_up_to_date = req.require_tcb_up_to_date(),
                     .allow_any_device = req.allow_any_device()};
  if (!req.owner().empty()) {
    ASSIGN_OR_RETURN(init.owner, ToAddress(req.owner(), "owner"));
  }
  ASSIGN_OR_RETURN(init.device_id, OptionalHash(req.initial_device_id(), "initial_device_id"));
  ASSIGN_OR_RETURN(init.compose_hash, OptionalHash(req.initial_compose_hash(), "initial_compose_hash"));
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  ASSIGN_OR_RETURN(WriteResult w,
                   Write({.chain_id = req.chain_id(), .from = &req.from(), .options = &req.options(),
                          .to = chain->kms, .data = dstack_kms::DeployAndRegisterApp(init)},
                         resp->mutable_transaction()));
  if (w.receipt.has_value() && w.receipt->success) {
    for (const ContractEvent& e : w.receipt->EventsFrom(chain->kms)) {
      if (auto* d = std::get_if<AppDeployedViaFactory>(&e)) resp->set_app_id(Raw(d->app_id));
    }
  }
  return absl::OkStatus();
}

grpc::Status RegistryService::DeployApp(Ctx*, const pb::DeployAppRequest* req,
                                        pb::DeployAppResponse* resp) {
  CHAINKMS_HANDLE({ return DoDeployApp(*req, resp); });
}

absl::Status RegistryService::DoGetApp(const pb::GetAppRequest& req, pb::GetAppResponse* resp) {
  ASSIGN_OR_RETURN(Address app, ToAddress(req.app_id(), "app_id"));
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  ASSIGN_OR_RETURN(PinnedBlock at, PinAt(*chain, req.block_number()));
  ASSIGN_OR_RETURN(AppState s, chain->reader->GetApp(app, at));
  resp->set_app_id(Raw(s.app_id));
  resp->set_owner(Raw(s.owner));
  if (s.pending_owner.has_value() && !s.pending_owner->IsZero()) {
    resp->set_pending_owner(Raw(*s.pending_owner));
  }
  resp->set_allow_any_device(s.allow_any_device);
  resp->set_require_tcb_up_to_date(s.require_tcb_up_to_date.value_or(false));
  resp->set_implementation(Raw(s.implementation));
  if (s.version.has_value()) resp->set_version(s.version->ToU64().value_or(0));
  resp->set_registered(s.registered);
  resp->set_block_number(s.block.number);
  absl::StatusOr<Bytes> disabled = CallAt(*chain, app, dstack_app::UpgradesDisabledGetter(), s.block.number);
  if (disabled.ok()) {
    absl::StatusOr<bool> b = DecodeBoolResult(*disabled);
    resp->set_upgrades_disabled(b.ok() && *b);
  } else if (absl::IsUnavailable(disabled.status())) {
    return disabled.status();
  }
  return absl::OkStatus();
}

grpc::Status RegistryService::GetApp(Ctx*, const pb::GetAppRequest* req, pb::GetAppResponse* resp) {
  CHAINKMS_HANDLE({ return DoGetApp(*req, resp); });
}

absl::Status RegistryService::DoCheckPrerequisites(const pb::CheckPrerequisitesRequest& req,
                                                   pb::CheckPrerequisitesResponse* resp) {
  ASSIGN_OR_RETURN(Address app, ToAddress(req.app_id(), "app_id"));
  std::vector<Hash32> hashes, devices;
  for (int i = 0; i < req.compose_hashes_size(); ++i) {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req.compose_hashes(i), absl::StrCat("compose_hashes[", i, "]")));
    hashes.push_back(h);
  }
  for (int i = 0; i < req.device_ids_size(); ++i) {
    ASSIGN_OR_RETURN(Hash32 d, ToHash(req.device_ids(i), absl::StrCat("device_ids[", i, "]")));
    devices.push_back(d);
  }
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  std::optional<PinnedBlock> at;
  if (req.block_number() != 0) {
    ASSIGN_OR_RETURN(at, PinAt(*chain, req.block_number()));
  }
  ASSIGN_OR_RETURN(Prerequisites p, chain->reader->CheckPrerequisites(app, devices, hashes, at));
  bool all = true;
  for (bool b : p.compose_hash_allowed) {
    resp->add_compose_hash_allowed(b);
    all = all && b;
  }
  for (bool b : p.device_allowed) {
    resp->add_device_id_allowed(b);
    all = all && b;
  }
  resp->set_allow_any_device(p.allow_any_device);
  resp->set_all_allowed(all);
  resp->set_block_number(p.block.number);
  return absl::OkStatus();
}

grpc::Status RegistryService::CheckPrerequisites(Ctx*, const pb::CheckPrerequisitesRequest* req,
                                                 pb::CheckPrerequisitesResponse* resp) {
  CHAINKMS_HANDLE({ return DoCheckPrerequisites(*req, resp); });
}

grpc::Status RegistryService::IsAppAllowed(Ctx*, const pb::IsAppAllowedRequest* req,
                                           pb::IsAppAllowedResponse* resp) {
  CHAINKMS_HANDLE({
    ASSIGN_OR_RETURN(::chainkms::AppBootInfo info, ToBootInfo(req->boot_info()));
    ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req->chain_id()));
    std::optional<PinnedBlock> at;
    if (req->block_number() != 0) {
      ASSIGN_OR_RETURN(at, PinAt(*chain, req->block_number()));
    }
    ASSIGN_OR_RETURN(AllowDecision d, chain->reader->IsAppAllowed(info, at));
    resp->set_is_allowed(d.allowed);
    resp->set_reason(d.reason);
    resp->set_block_number(d.block.number);
    return absl::OkStatus();
  });
}

grpc::Status RegistryService::IsKmsAllowed(Ctx*, const pb::IsKmsAllowedRequest* req,
                                           pb::IsKmsAllowedResponse* resp) {
  CHAINKMS_HANDLE({
    ASSIGN_OR_RETURN(::chainkms::AppBootInfo info, ToBootInfo(req->boot_info()));
    ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req->chain_id()));
    std::optional<PinnedBlock> at;
    if (req->block_number() != 0) {
      ASSIGN_OR_RETURN(at, PinAt(*chain, req->block_number()));
    }
    ASSIGN_OR_RETURN(AllowDecision d, chain->reader->IsKmsAllowed(info, at));
    resp->set_is_allowed(d.allowed);
    resp->set_reason(d.reason);
    resp->set_block_number(d.block.number);
    return absl::OkStatus();
  });
}

grpc::Status RegistryService::CheckDeviceAllowed(Ctx*, const pb::CheckDeviceAllowedRequest* req,
                                                 pb::CheckDeviceAllowedResponse* resp) {
  CHAINKMS_HANDLE({
    ASSIGN_OR_RETURN(Address app, ToAddress(req->app_id(), "app_id"));
    ASSIGN_OR_RETURN(Hash32 device, ToHash(req->device_id(), "device_id"));
    ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req->chain_id()));
    ASSIGN_OR_RETURN(PinnedBlock at, PinAt(*chain, req->block_number()));
    std::vector<Hash32> devices = {device};
    ASSIGN_OR_RETURN(Prerequisites p, chain->reader->CheckPrerequisites(app, devices, {}, at));
    ASSIGN_OR_RETURN(Bytes listed, CallAt(*chain, app, dstack_app::AllowedDeviceIds(device), at.number));
    ASSIGN_OR_RETURN(bool is_listed, DecodeBoolResult(listed));
    resp->set_allowed(p.device_allowed.at(0));
    resp->set_allow_any_device(p.allow_any_device);
    resp->set_device_listed(is_listed);
    resp->set_block_number(at.number);
    return absl::OkStatus();
  });
}

absl::Status RegistryService::DoVerify(const pb::VerifyComposeHashTransactionRequest& req,
                                       pb::VerifyComposeHashTransactionResponse* resp) {
  ASSIGN_OR_RETURN(Address app, ToAddress(req.app_id(), "app_id"));
  ASSIGN_OR_RETURN(Hash32 hash, ToHash(req.compose_hash(), "compose_hash"));
  ASSIGN_OR_RETURN(Hash32 tx, ToHash(req.tx_hash(), "tx_hash"));
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  const uint32_t want = std::max<uint32_t>(1, req.confirmations());
  ASSIGN_OR_RETURN(PinnedBlock head, chain->reader->LatestBlock());
  resp->set_block_number(head.number);
  std::vector<Hash32> hashes = {hash};
  ASSIGN_OR_RETURN(Prerequisites p, chain->reader->CheckPrerequisites(app, {}, hashes, head));
  resp->set_compose_hash_allowed(p.compose_hash_allowed.at(0));
  auto fail = [&](pb::VerificationFailure f, std::string detail) {
    resp->set_verified(false);
    resp->set_failure(f);
    resp->set_detail(std::move(detail));
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(std::optional<Receipt> receipt, chain->reader->GetReceipt(tx));
  if (!receipt.has_value()) {
    ASSIGN_OR_RETURN(bool known, eth_rpc::TransactionKnown(*chain->rpc, tx));
    if (known) {
      resp->mutable_transaction()->set_chain_id(chain->chain_id);
      resp->mutable_transaction()->set_tx_hash(Raw(tx));
      resp->mutable_transaction()->set_state(pb::TRANSACTION_STATE_PENDING);
      return fail(pb::VERIFICATION_FAILURE_NOT_CONFIRMED, "the transaction is not mined yet");
    }
    return fail(pb::VERIFICATION_FAILURE_NOT_FOUND, "the chain does not know the transaction");
  }
  RETURN_IF_ERROR(FillTxStatus(*chain, tx, want, resp->mutable_transaction()));
  if (!receipt->success) return fail(pb::VERIFICATION_FAILURE_REVERTED, "the transaction reverted");
  const uint64_t depth = head.number >= receipt->block_number ? head.number - receipt->block_number + 1 : 0;
  if (depth < want) {
    return fail(pb::VERIFICATION_FAILURE_NOT_CONFIRMED,
                absl::StrCat("the transaction is ", depth, " deep, ", want, " asked"));
  }
  std::vector<ContractEvent> events = receipt->EventsFrom(app);
  const bool targets_app = receipt->to.has_value() && *receipt->to == app;
  if (!targets_app && events.empty()) {
    return fail(pb::VERIFICATION_FAILURE_WRONG_TARGET,
                absl::StrCat("the transaction neither calls nor emits from ", ToChecksumAddress(app)));
  }
  for (const ContractEvent& e : events) {
    if (auto* added = std::get_if<ComposeHashAdded>(&e); added != nullptr && added->hash == hash) {
      resp->set_verified(true);
      resp->set_failure(pb::VERIFICATION_FAILURE_UNSPECIFIED);
      return absl::OkStatus();
    }
  }
  return fail(pb::VERIFICATION_FAILURE_HASH_MISMATCH,
              absl::StrCat("no ComposeHashAdded(", Hex0x(hash.view()), ") from the app in the transaction"));
}

grpc::Status RegistryService::VerifyComposeHashTransaction(
    Ctx*, const pb::VerifyComposeHashTransactionRequest* req,
    pb::VerifyComposeHashTransactionResponse* resp) {
  CHAINKMS_HANDLE({ return DoVerify(*req, resp); });
}

namespace {

// One PolicyAction as a contract call. `f` prefixes field names in errors ("actions[0]").
absl::StatusOr<PreparedCall> ToCall(const pb::PolicyAction& a, const std::string& f,
                                    const Address& kms, const std::optional<Address>& from) {
  auto app_hash = [&](const pb::ComposeHashCall& c, const char* name, Bytes (*build)(const Hash32&),
                      std::string_view sig) -> absl::StatusOr<PreparedCall> {
    ASSIGN_OR_RETURN(Address app, ToAddress(c.app_id(), absl::StrCat(f, ".", name, ".app_id")));
    ASSIGN_OR_RETURN(Hash32 h, ToHash(c.compose_hash(), absl::StrCat(f, ".", name, ".compose_hash")));
    return PreparedCall{.to = app, .data = build(h), .function_signature = std::string(sig)};
  };
  auto app_device = [&](const pb::DeviceCall& c, const char* name, Bytes (*build)(const Hash32&),
                        std::string_view sig) -> absl::StatusOr<PreparedCall> {
    ASSIGN_OR_RETURN(Address app, ToAddress(c.app_id(), absl::StrCat(f, ".", name, ".app_id")));
    ASSIGN_OR_RETURN(Hash32 d, ToHash(c.device_id(), absl::StrCat(f, ".", name, ".device_id")));
    return PreparedCall{.to = app, .data = build(d), .function_signature = std::string(sig)};
  };
  auto kms_entry = [&](const pb::KmsEntryCall& c, const char* name, Bytes (*build)(const Hash32&),
                       std::string_view sig) -> absl::StatusOr<PreparedCall> {
    ASSIGN_OR_RETURN(Hash32 v, ToHash(c.value(), absl::StrCat(f, ".", name, ".value")));
    return PreparedCall{.to = kms, .data = build(v), .function_signature = std::string(sig)};
  };
  using A = pb::PolicyAction;
  switch (a.action_case()) {
    case A::kAddComposeHash:
      return app_hash(a.add_compose_hash(), "add_compose_hash", dstack_app::AddComposeHash, sig::kAddComposeHash);
    case A::kRemoveComposeHash:
      return app_hash(a.remove_compose_hash(), "remove_compose_hash", dstack_app::RemoveComposeHash,
                      sig::kRemoveComposeHash);
    case A::kAddDevice:
      return app_device(a.add_device(), "add_device", dstack_app::AddDevice, sig::kAddDevice);
    case A::kRemoveDevice:
      return app_device(a.remove_device(), "remove_device", dstack_app::RemoveDevice, sig::kRemoveDevice);
    case A::kSetAllowAnyDevice: {
      ASSIGN_OR_RETURN(Address app, ToAddress(a.set_allow_any_device().app_id(),
                                              absl::StrCat(f, ".set_allow_any_device.app_id")));
      return PreparedCall{.to = app, .data = dstack_app::SetAllowAnyDevice(a.set_allow_any_device().value()),
                          .function_signature = std::string(sig::kSetAllowAnyDevice)};
    }
    case A::kSetRequireTcbUpToDate: {
      ASSIGN_OR_RETURN(Address app, ToAddress(a.set_require_tcb_up_to_date().app_id(),
                                              absl::StrCat(f, ".set_require_tcb_up_to_date.app_id")));
      return PreparedCall{.to = app,
                          .data = dstack_app::SetRequireTcbUpToDate(a.set_require_tcb_up_to_date().value()),
                          .function_signature = std::string(sig::kSetRequireTcbUpToDate)};
    }
    case A::kDisableUpgrades: {
      ASSIGN_OR_RETURN(Address c, ToAddress(a.disable_upgrades().contract(),
                                            absl::StrCat(f, ".disable_upgrades.contract")));
      return PreparedCall{.to = c, .data = dstack_app::DisableUpgrades(),
                          .function_signature = std::string(sig::kDisableUpgrades)};
    }
    case A::kTransferOwnership: {
      ASSIGN_OR_RETURN(Address c, ToAddress(a.transfer_ownership().contract(),
                                            absl::StrCat(f, ".transfer_ownership.contract")));
      ASSIGN_OR_RETURN(Address o, ToAddress(a.transfer_ownership().new_owner(),
                                            absl::StrCat(f, ".transfer_ownership.new_owner")));
      return PreparedCall{.to = c, .data = ownable::TransferOwnership(o),
                          .function_signature = std::string(sig::kTransferOwnership)};
    }
    case A::kAcceptOwnership: {
      ASSIGN_OR_RETURN(Address c, ToAddress(a.accept_ownership().contract(),
                                            absl::StrCat(f, ".accept_ownership.contract")));
      return PreparedCall{.to = c, .data = ownable::AcceptOwnership(),
                          .function_signature = std::string(sig::kAcceptOwnership)};
    }
    case A::kDeployApp: {
      const pb::DeployAppCall& d = a.deploy_app();
      AppPolicyInit init{.disable_upgrades = d.disable_upgrades(),
                         .require_tcb_up_to_date = d.require_tcb_up_to_date(),
                         .allow_any_device = d.allow_any_device()};
      if (!d.owner().empty()) {
        ASSIGN_OR_RETURN(init.owner, ToAddress(d.owner(), absl::StrCat(f, ".deploy_app.owner")));
      } else if (from.has_value()) {
        init.owner = *from;
      } else {
        return InvalidField(absl::StrCat(f, ".deploy_app.owner"), "required when `from` is not set");
      }
      ASSIGN_OR_RETURN(init.device_id, OptionalHash(d.initial_device_id(),
                                                    absl::StrCat(f, ".deploy_app.initial_device_id")));
      ASSIGN_OR_RETURN(init.compose_hash, OptionalHash(d.initial_compose_hash(),
                                                       absl::StrCat(f, ".deploy_app.initial_compose_hash")));
      return PreparedCall{.to = kms, .data = dstack_kms::DeployAndRegisterApp(init),
                          .function_signature = std::string(sig::kDeployAndRegisterApp)};
    }
    case A::kRegisterApp: {
      ASSIGN_OR_RETURN(Address app, ToAddress(a.register_app().contract(),
                                              absl::StrCat(f, ".register_app.contract")));
      return PreparedCall{.to = kms, .data = dstack_kms::RegisterApp(app),
                          .function_signature = std::string(sig::kRegisterApp)};
    }
    case A::kAddOsImageHash:
      return kms_entry(a.add_os_image_hash(), "add_os_image_hash", dstack_kms::AddOsImageHash, sig::kAddOsImageHash);
    case A::kRemoveOsImageHash:
      return kms_entry(a.remove_os_image_hash(), "remove_os_image_hash", dstack_kms::RemoveOsImageHash,
                       sig::kRemoveOsImageHash);
    case A::kAddKmsAggregatedMr:
      return kms_entry(a.add_kms_aggregated_mr(), "add_kms_aggregated_mr", dstack_kms::AddKmsAggregatedMr,
                       sig::kAddKmsAggregatedMr);
    case A::kRemoveKmsAggregatedMr:
      return kms_entry(a.remove_kms_aggregated_mr(), "remove_kms_aggregated_mr",
                       dstack_kms::RemoveKmsAggregatedMr, sig::kRemoveKmsAggregatedMr);
    case A::kAddKmsDevice:
      return kms_entry(a.add_kms_device(), "add_kms_device", dstack_kms::AddKmsDevice, sig::kAddKmsDevice);
    case A::kRemoveKmsDevice:
      return kms_entry(a.remove_kms_device(), "remove_kms_device", dstack_kms::RemoveKmsDevice,
                       sig::kRemoveKmsDevice);
    case A::kSetKmsInfo: {
      const pb::KmsInfo& k = a.set_kms_info();
      auto b = [](const std::string& v) { return Bytes(v.begin(), v.end()); };
      return PreparedCall{.to = kms,
                          .data = dstack_kms::SetKmsInfo(::chainkms::KmsInfo{
                              .k256_pubkey = b(k.k256_pubkey()), .ca_pubkey = b(k.ca_pubkey()),
                              .quote = b(k.quote()), .eventlog = b(k.eventlog())}),
                          .function_signature = std::string(sig::kSetKmsInfo)};
    }
    case A::kSetAppImplementation: {
      ASSIGN_OR_RETURN(Address impl, ToAddress(a.set_app_implementation().address(),
                                               absl::StrCat(f, ".set_app_implementation.address")));
      return PreparedCall{.to = kms, .data = dstack_kms::SetAppImplementation(impl),
                          .function_signature = std::string(sig::kSetAppImplementation)};
    }
    case A::kSetGatewayAppId:
      if (a.set_gateway_app_id().empty()) {
        return InvalidField(absl::StrCat(f, ".set_gateway_app_id"), "must not be empty");
      }
      return PreparedCall{.to = kms, .data = dstack_kms::SetGatewayAppId(a.set_gateway_app_id()),
                          .function_signature = std::string(sig::kSetGatewayAppId)};
    case A::ACTION_NOT_SET: break;
  }
  return InvalidField(f, "no action set");
}

}  // namespace

absl::Status RegistryService::DoPrepare(const pb::PrepareTransactionRequest& req,
                                        pb::PrepareTransactionResponse* resp) {
  std::optional<Address> from, safe;
  if (!req.from().empty()) {
    ASSIGN_OR_RETURN(from, ToAddress(req.from(), "from"));
  }
  if (!req.safe().empty()) {
    ASSIGN_OR_RETURN(safe, ToAddress(req.safe(), "safe"));
  }
  std::optional<TimelockParams> timelock;
  if (req.has_timelock()) {
    TimelockParams t;
    ASSIGN_OR_RETURN(t.timelock, ToAddress(req.timelock().timelock(), "timelock.timelock"));
    t.delay_seconds = req.timelock().delay_seconds();
    ASSIGN_OR_RETURN(t.salt, OptionalHash(req.timelock().salt(), "timelock.salt"));
    ASSIGN_OR_RETURN(t.predecessor, OptionalHash(req.timelock().predecessor(), "timelock.predecessor"));
    timelock = t;
  }
  if (req.actions_size() == 0) return InvalidField("actions", "at least one action is required");
  if (static_cast<size_t>(req.actions_size()) > ChainReader::kMaxItems) {
    return InvalidField("actions", absl::StrCat("at most ", ChainReader::kMaxItems, " actions"));
  }
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  PrepareInput in{.chain_id = chain->chain_id};
  for (int i = 0; i < req.actions_size(); ++i) {
    ASSIGN_OR_RETURN(PreparedCall call, ToCall(req.actions(i), absl::StrCat("actions[", i, "]"), chain->kms, from));
    in.calls.push_back(std::move(call));
  }
  // Suggestions for the direct sender (or the Safe, which executes the calls itself).
  const std::optional<Address> sender = safe.has_value() ? safe : from;
  ASSIGN_OR_RETURN(TxFees fees, chain->txm->SuggestFees());
  uint64_t nonce = 0;
  if (sender.has_value()) {
    ASSIGN_OR_RETURN(nonce, eth_rpc::GetTransactionCount(*chain->rpc, *sender, BlockTag::Pending()));
  } else {
    resp->add_warnings("no `from`: nonces are 0 and gas is not estimated");
  }
  for (size_t i = 0; i < in.calls.size(); ++i) {
    TxSuggestion s{.nonce = nonce + i, .gas_limit = 0, .fees = fees};
    if (sender.has_value()) {
      absl::StatusOr<uint64_t> gas = eth_rpc::EstimateGas(
          *chain->rpc, CallRequest{.from = *sender, .to = in.calls[i].to, .data = in.calls[i].data});
      if (gas.ok()) {
        s.gas_limit = *gas + *gas / 5;
      } else if (absl::IsUnavailable(gas.status())) {
        return gas.status();
      } else {
        resp->add_warnings(absl::StrCat("actions[", i, "]: gas not estimated (",
                                        std::string(gas.status().message()),
                                        "); it may depend on an earlier action or another sender"));
      }
    }
    in.suggestions.push_back(s);
  }
  in.safe_batch.safe = safe;
  in.safe_batch.owner = from;
  in.safe_batch.created_at_ms = absl::ToUnixMillis(absl::Now());
  in.timelock = timelock;
  ASSIGN_OR_RETURN(PrepareOutput out, Prepare(in));
  for (const UnsignedTx& tx : out.transactions) {
    pb::UnsignedTransaction* t = resp->add_transactions();
    t->set_chain_id(tx.chain_id);
    t->set_to(Raw(tx.to));
    t->set_data(Raw(tx.data));
    t->set_value_wei(tx.value.ToDecimal());
    t->set_nonce(tx.nonce);
    t->set_gas_limit(tx.gas_limit);
    t->set_max_fee_per_gas_wei(tx.fees.max_fee_per_gas.ToDecimal());
    t->set_max_priority_fee_per_gas_wei(tx.fees.max_priority_fee_per_gas.ToDecimal());
    t->set_function_signature(tx.function_signature);
    t->set_signing_payload(Raw(tx.signing_payload));
    t->set_signing_hash(Raw(tx.signing_hash));
  }
  resp->set_safe_transaction_builder_json(out.safe_transaction_builder_json);
  if (out.timelock.has_value()) {
    pb::TimelockCalls* t = resp->mutable_timelock();
    t->set_timelock(Raw(out.timelock->timelock));
    t->set_schedule_data(Raw(out.timelock->schedule_data));
    t->set_execute_data(Raw(out.timelock->execute_data));
    t->set_operation_id(Raw(out.timelock->operation_id));
    absl::StatusOr<BlockHeader> head = eth_rpc::GetBlock(*chain->rpc, BlockTag::Latest());
    if (head.ok()) t->set_ready_at_estimate(head->timestamp + timelock->delay_seconds);
  }
  return absl::OkStatus();
}

grpc::Status RegistryService::PrepareTransaction(Ctx*, const pb::PrepareTransactionRequest* req,
                                                 pb::PrepareTransactionResponse* resp) {
  CHAINKMS_HANDLE({ return DoPrepare(*req, resp); });
}

absl::Status RegistryService::DoSubmit(const pb::SubmitSignedTransactionRequest& req,
                                       pb::SubmitSignedTransactionResponse* resp) {
  if (req.signed_transaction().empty()) return InvalidField("signed_transaction", "must not be empty");
  std::optional<Address> app;
  if (!req.app_id().empty()) {
    ASSIGN_OR_RETURN(app, ToAddress(req.app_id(), "app_id"));
  }
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  std::vector<Address> targets = {chain->kms};
  if (app.has_value()) targets.push_back(*app);
  std::vector<FunctionSelector> app_selectors = AppWriteSelectors();
  std::vector<FunctionSelector> kms_selectors = KmsWriteSelectors();
  std::vector<FunctionSelector> all = app_selectors;
  all.insert(all.end(), kms_selectors.begin(), kms_selectors.end());
  const ByteView raw = AsBytes(req.signed_transaction());
  ASSIGN_OR_RETURN(CheckedTransaction checked, CheckSubmittedTransaction(raw, chain->chain_id, targets, all));
  // The selector must belong to the contract it is sent to.
  const std::vector<FunctionSelector>& own = checked.to == chain->kms ? kms_selectors : app_selectors;
  if (std::find(own.begin(), own.end(), checked.selector) == own.end()) {
    return WithReason(absl::InvalidArgumentError(absl::StrCat(
                          "signed_transaction: function ", Hex0x(checked.selector.view()),
                          " is not an allowed write of ", ToChecksumAddress(checked.to))),
                      "FUNCTION_NOT_ALLOWED");
  }
  ASSIGN_OR_RETURN(Hash32 hash, eth_rpc::SendRawTransaction(*chain->rpc, raw));
  uint32_t confirmations = req.options().confirmations();
  if (confirmations == 0) confirmations = options_.default_confirmations;
  if (req.options().wait()) {
    absl::Duration timeout = req.options().wait_timeout_seconds() > 0
                                 ? absl::Seconds(req.options().wait_timeout_seconds())
                                 : options_.default_wait_timeout;
    absl::StatusOr<Receipt> r = chain->txm->WaitForReceipt(hash, confirmations, timeout);
    if (!r.ok() && !absl::IsDeadlineExceeded(r.status())) return r.status();
  }
  pb::TransactionStatus* st = resp->mutable_transaction();
  RETURN_IF_ERROR(FillTxStatus(*chain, hash, confirmations, st));
  if (st->from().empty()) st->set_from(Raw(checked.sender));
  if (st->to().empty()) st->set_to(Raw(checked.to));
  st->set_nonce(checked.tx.tx.nonce);
  if (metrics_ != nullptr) metrics_->RecordTransactionState(StateLabel(st->state()));
  return absl::OkStatus();
}

grpc::Status RegistryService::SubmitSignedTransaction(Ctx*, const pb::SubmitSignedTransactionRequest* req,
                                                      pb::SubmitSignedTransactionResponse* resp) {
  CHAINKMS_HANDLE({ return DoSubmit(*req, resp); });
}

absl::Status RegistryService::DoGetTransaction(const pb::GetTransactionRequest& req,
                                               pb::GetTransactionResponse* resp) {
  ASSIGN_OR_RETURN(Hash32 tx, ToHash(req.tx_hash(), "tx_hash"));
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  return FillTxStatus(*chain, tx, req.confirmations(), resp->mutable_transaction());
}

grpc::Status RegistryService::GetTransaction(Ctx*, const pb::GetTransactionRequest* req,
                                             pb::GetTransactionResponse* resp) {
  CHAINKMS_HANDLE({ return DoGetTransaction(*req, resp); });
}

absl::Status RegistryService::DoGetKmsInfo(const pb::GetKmsInfoRequest& req,
                                           pb::GetKmsInfoResponse* resp) {
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  ASSIGN_OR_RETURN(PinnedBlock at, PinAt(*chain, req.block_number()));
  ASSIGN_OR_RETURN(::chainkms::KmsInfo info, chain->reader->GetKmsInfo(at));
  ASSIGN_OR_RETURN(Bytes owner, CallAt(*chain, chain->kms, ownable::Owner(), at.number));
  ASSIGN_OR_RETURN(Address owner_addr, DecodeAddressResult(owner));
  ASSIGN_OR_RETURN(Bytes impl, CallAt(*chain, chain->kms, dstack_kms::AppImplementation(), at.number));
  ASSIGN_OR_RETURN(Address impl_addr, DecodeAddressResult(impl));
  ASSIGN_OR_RETURN(Bytes gw, CallAt(*chain, chain->kms, dstack_kms::GatewayAppId(), at.number));
  ASSIGN_OR_RETURN(std::string gateway, DecodeStringResult(gw));
  absl::StatusOr<Bytes> pending = CallAt(*chain, chain->kms, ownable::PendingOwner(), at.number);
  if (pending.ok()) {
    absl::StatusOr<Address> p = DecodeAddressResult(*pending);
    if (p.ok() && !p->IsZero()) resp->set_pending_owner(Raw(*p));
  } else if (absl::IsUnavailable(pending.status())) {
    return pending.status();
  }
  resp->set_kms_contract(Raw(chain->kms));
  resp->set_owner(Raw(owner_addr));
  resp->mutable_kms_info()->set_k256_pubkey(Raw(info.k256_pubkey));
  resp->mutable_kms_info()->set_ca_pubkey(Raw(info.ca_pubkey));
  resp->mutable_kms_info()->set_quote(Raw(info.quote));
  resp->mutable_kms_info()->set_eventlog(Raw(info.eventlog));
  resp->set_app_implementation(Raw(impl_addr));
  resp->set_gateway_app_id(gateway);
  resp->set_block_number(at.number);
  return absl::OkStatus();
}

grpc::Status RegistryService::GetKmsInfo(Ctx*, const pb::GetKmsInfoRequest* req,
                                         pb::GetKmsInfoResponse* resp) {
  CHAINKMS_HANDLE({ return DoGetKmsInfo(*req, resp); });
}

absl::Status RegistryService::DoCheckKmsAllowlists(const pb::CheckKmsAllowlistsRequest& req,
                                                   pb::CheckKmsAllowlistsResponse* resp) {
  std::vector<Hash32> os, mrs, devices;
  for (int i = 0; i < req.os_image_hashes_size(); ++i) {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req.os_image_hashes(i), absl::StrCat("os_image_hashes[", i, "]")));
    os.push_back(h);
  }
  for (int i = 0; i < req.kms_aggregated_mrs_size(); ++i) {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req.kms_aggregated_mrs(i), absl::StrCat("kms_aggregated_mrs[", i, "]")));
    mrs.push_back(h);
  }
  for (int i = 0; i < req.kms_device_ids_size(); ++i) {
    ASSIGN_OR_RETURN(Hash32 h, ToHash(req.kms_device_ids(i), absl::StrCat("kms_device_ids[", i, "]")));
    devices.push_back(h);
  }
  if (os.size() + mrs.size() + devices.size() > ChainReader::kMaxItems) {
    return InvalidField("os_image_hashes", absl::StrCat("at most ", ChainReader::kMaxItems, " items in all lists"));
  }
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  ASSIGN_OR_RETURN(PinnedBlock at, PinAt(*chain, req.block_number()));
  auto ask = [&](Bytes data) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(Bytes ret, CallAt(*chain, chain->kms, std::move(data), at.number));
    return DecodeBoolResult(ret);
  };
  for (const Hash32& h : os) {
    ASSIGN_OR_RETURN(bool b, ask(dstack_kms::AllowedOsImages(h)));
    resp->add_os_image_hash_allowed(b);
  }
  for (const Hash32& h : mrs) {
    ASSIGN_OR_RETURN(bool b, ask(dstack_kms::KmsAllowedAggregatedMrs(h)));
    resp->add_kms_aggregated_mr_allowed(b);
  }
  for (const Hash32& h : devices) {
    ASSIGN_OR_RETURN(bool b, ask(dstack_kms::KmsAllowedDeviceIds(h)));
    resp->add_kms_device_id_allowed(b);
  }
  resp->set_block_number(at.number);
  return absl::OkStatus();
}

grpc::Status RegistryService::CheckKmsAllowlists(Ctx*, const pb::CheckKmsAllowlistsRequest* req,
                                                 pb::CheckKmsAllowlistsResponse* resp) {
  CHAINKMS_HANDLE({ return DoCheckKmsAllowlists(*req, resp); });
}

absl::Status RegistryService::DoWatch(Ctx* ctx, const pb::WatchPolicyEventsRequest& req,
                                      grpc::ServerWriter<pb::WatchPolicyEventsResponse>* writer) {
  std::vector<Address> contracts;
  for (int i = 0; i < req.contracts_size(); ++i) {
    ASSIGN_OR_RETURN(Address a, ToAddress(req.contracts(i), absl::StrCat("contracts[", i, "]")));
    contracts.push_back(a);
  }
  ASSIGN_OR_RETURN(ChainBackend * chain, Chain(req.chain_id()));
  const uint64_t depth = std::max<uint32_t>(1, req.confirmations());
  uint64_t next = req.from_block();
  if (next == 0) {
    ASSIGN_OR_RETURN(next, chain->reader->BlockNumber());
  }
  // With no contracts named: the DstackKms and every app it registered (learned from its events,
  // else asked once per emitter).
  const bool everything = contracts.empty();
  std::map<Address, bool> ours = {{chain->kms, true}};
  auto is_ours = [&](const Address& a) -> absl::StatusOr<bool> {
    auto it = ours.find(a);
    if (it != ours.end()) return it->second;
    ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(*chain->rpc,
                                              CallRequest{.to = chain->kms,
                                                          .data = dstack_kms::RegisteredApps(a)},
                                              BlockTag::Latest()));
    ASSIGN_OR_RETURN(bool registered, DecodeBoolResult(ret));
    ours[a] = registered;
    return registered;
  };
  while (!ctx->IsCancelled()) {
    ASSIGN_OR_RETURN(uint64_t head, chain->reader->BlockNumber());
    const uint64_t safe = head + 1 >= depth ? head + 1 - depth : 0;
    if (safe >= next) {
      const uint64_t to = std::min(safe, next + options_.max_log_range - 1);
      LogFilter filter{.addresses = contracts, .topics = {}, .from_block = BlockTag::Number(next),
                       .to_block = BlockTag::Number(to)};
      ASSIGN_OR_RETURN(std::vector<LogEntry> logs, chain->reader->GetLogs(filter));
      for (const LogEntry& log : logs) {
        if (!log.event.has_value()) continue;
        if (everything) {
          if (log.log.address == chain->kms) {
            if (auto* d = std::get_if<AppDeployedViaFactory>(&*log.event)) ours[d->app_id] = true;
            if (auto* r = std::get_if<AppRegistered>(&*log.event)) ours[r->app_id] = true;
          }
          ASSIGN_OR_RETURN(bool mine, is_ours(log.log.address));
          if (!mine) continue;
        }
        pb::WatchPolicyEventsResponse out;
        if (!SetEvent(*log.event, &out)) continue;
        out.set_chain_id(chain->chain_id);
        out.set_block_number(log.block_number);
        out.set_block_hash(Raw(log.block_hash));
        out.set_tx_hash(Raw(log.transaction_hash));
        out.set_log_index(log.log_index);
        out.set_contract(Raw(log.log.address));
        out.set_removed(log.removed);
        if (!writer->Write(out)) return absl::OkStatus();  // the client went away
      }
      next = to + 1;
      if (next <= safe) continue;  // more history to send
    }
    const absl::Time until = absl::Now() + options_.watch_poll_interval;
    while (!ctx->IsCancelled() && absl::Now() < until) {
      absl::SleepFor(std::min(absl::Milliseconds(50), options_.watch_poll_interval));
    }
  }
  return absl::OkStatus();
}

grpc::Status RegistryService::WatchPolicyEvents(
    Ctx* ctx, const pb::WatchPolicyEventsRequest* req,
    grpc::ServerWriter<pb::WatchPolicyEventsResponse>* writer) {
  CHAINKMS_HANDLE({ return DoWatch(ctx, *req, writer); });
}

}  // namespace chainkms::registry
