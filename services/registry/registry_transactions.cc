// RegistryService: transactions — proofs (VerifyComposeHashTransaction), calls prepared for an
// outside signer, a Safe or a timelock (PrepareTransaction over the pure prepare.h core),
// caller-signed submissions gated by submit.h, and status (GetTransaction).
#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/chain/contracts.h"
#include "lib/chain/errors.h"
#include "lib/chain/eth_rpc.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/server/proto_fields.h"
#include "services/registry/prepare.h"
#include "services/registry/proto_convert.h"
#include "services/registry/registry_handlers.h"
#include "services/registry/registry_service.h"
#include "services/registry/submit.h"

namespace chainkms::registry {

namespace pb = ::chainkms::v1;
using server::CheckMaxCount;
using server::OptionalHash;
using server::Raw;
using server::ToAddress;
using server::ToHash;

grpc::Status RegistryService::VerifyComposeHashTransaction(
    Ctx*, const pb::VerifyComposeHashTransactionRequest* req,
    pb::VerifyComposeHashTransactionResponse* resp) {
  return Unary([&] { return DoVerify(*req, resp); });
}

grpc::Status RegistryService::PrepareTransaction(Ctx*, const pb::PrepareTransactionRequest* req,
                                                 pb::PrepareTransactionResponse* resp) {
  return Unary([&] { return DoPrepare(*req, resp); });
}

grpc::Status RegistryService::SubmitSignedTransaction(Ctx*,
                                                      const pb::SubmitSignedTransactionRequest* req,
                                                      pb::SubmitSignedTransactionResponse* resp) {
  return Unary([&] { return DoSubmit(*req, resp); });
}

grpc::Status RegistryService::GetTransaction(Ctx*, const pb::GetTransactionRequest* req,
                                             pb::GetTransactionResponse* resp) {
  return Unary([&] { return DoGetTransaction(*req, resp); });
}

absl::Status RegistryService::DoVerify(const pb::VerifyComposeHashTransactionRequest& req,
                                       pb::VerifyComposeHashTransactionResponse* resp) {
  ASSIGN_OR_RETURN(Address app, ToAddress(req.app_id(), "app_id"));
  ASSIGN_OR_RETURN(Hash32 hash, ToHash(req.compose_hash(), "compose_hash"));
  ASSIGN_OR_RETURN(Hash32 tx, ToHash(req.tx_hash(), "tx_hash"));
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  // 0 = the chain's default depth (common.proto), never less: a proof a shallow reorg can take
  // back must not let a commit through.
  const uint32_t want = std::max<uint32_t>(1, Confirmations(req.confirmations()));
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
  const uint64_t depth =
      head.number >= receipt->block_number ? head.number - receipt->block_number + 1 : 0;
  if (depth < want) {
    return fail(pb::VERIFICATION_FAILURE_NOT_CONFIRMED,
                absl::StrCat("the transaction is ", depth, " deep, ", want, " asked"));
  }
  std::vector<ContractEvent> events = receipt->EventsFrom(app);
  const bool targets_app = receipt->to.has_value() && *receipt->to == app;
  if (!targets_app && events.empty()) {
    return fail(
        pb::VERIFICATION_FAILURE_WRONG_TARGET,
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
              absl::StrCat("no ComposeHashAdded(", Hex0x(hash.view()),
                           ") from the app in the transaction"));
}

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
    if (t.delay_seconds > kMaxTimelockDelaySeconds) {
      return InvalidFieldError("timelock.delay_seconds",
                               absl::StrCat("at most ", kMaxTimelockDelaySeconds, " (100 years)"));
    }
    ASSIGN_OR_RETURN(t.salt, OptionalHash(req.timelock().salt(), "timelock.salt"));
    ASSIGN_OR_RETURN(t.predecessor,
                     OptionalHash(req.timelock().predecessor(), "timelock.predecessor"));
    timelock = t;
  }
  if (req.actions_size() == 0)
    return InvalidFieldError("actions", "at least one action is required");
  if (static_cast<size_t>(req.actions_size()) > ChainReader::kMaxItems) {
    return InvalidFieldError("actions",
                             absl::StrCat("at most ", ChainReader::kMaxItems, " actions"));
  }
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  PrepareInput in{.chain_id = chain->chain_id};
  for (int i = 0; i < req.actions_size(); ++i) {
    ASSIGN_OR_RETURN(PreparedCall call,
                     ToCall(req.actions(i), absl::StrCat("actions[", i, "]"), chain->kms, from));
    in.calls.push_back(std::move(call));
  }
  // Suggestions for the direct sender (or the Safe, which executes the calls itself).
  const std::optional<Address> sender = safe.has_value() ? safe : from;
  ASSIGN_OR_RETURN(TxFees fees, chain->txm->SuggestFees());
  uint64_t nonce = 0;
  if (sender.has_value()) {
    ASSIGN_OR_RETURN(nonce,
                     eth_rpc::GetTransactionCount(*chain->rpc, *sender, BlockTag::Pending()));
  } else {
    resp->add_warnings("no `from`: nonces are 0 and gas is not estimated");
  }
  for (size_t i = 0; i < in.calls.size(); ++i) {
    TxSuggestion s{.nonce = nonce + i, .gas_limit = 0, .fees = fees};
    if (sender.has_value()) {
      absl::StatusOr<uint64_t> gas = eth_rpc::EstimateGas(
          *chain->rpc,
          CallRequest{.from = *sender, .to = in.calls[i].to, .data = in.calls[i].data});
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
  in.safe_batch.created_at_ms = absl::ToUnixMillis(clock_.Now());
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

absl::Status RegistryService::DoSubmit(const pb::SubmitSignedTransactionRequest& req,
                                       pb::SubmitSignedTransactionResponse* resp) {
  if (req.signed_transaction().empty())
    return InvalidFieldError("signed_transaction", "must not be empty");
  std::optional<Address> app;
  if (!req.app_id().empty()) {
    ASSIGN_OR_RETURN(app, ToAddress(req.app_id(), "app_id"));
  }
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  std::vector<Address> targets = {chain->kms};
  if (app.has_value()) targets.push_back(*app);
  std::vector<FunctionSelector> app_selectors = AppWriteSelectors();
  std::vector<FunctionSelector> kms_selectors = KmsWriteSelectors();
  std::vector<FunctionSelector> all = app_selectors;
  all.insert(all.end(), kms_selectors.begin(), kms_selectors.end());
  const ByteView raw = AsBytes(req.signed_transaction());
  ASSIGN_OR_RETURN(CheckedTransaction checked,
                   CheckSubmittedTransaction(raw, chain->chain_id, targets, all));
  // The selector must belong to the contract it is sent to.
  const std::vector<FunctionSelector>& own =
      checked.to == chain->kms ? kms_selectors : app_selectors;
  if (std::find(own.begin(), own.end(), checked.selector) == own.end()) {
    return WithReason(absl::InvalidArgumentError(absl::StrCat(
                          "signed_transaction: function ", Hex0x(checked.selector.view()),
                          " is not an allowed write of ", ToChecksumAddress(checked.to))),
                      Reason::kFunctionNotAllowed, {{"selector", Hex0x(checked.selector.view())}});
  }
  absl::StatusOr<Hash32> sent = eth_rpc::SendRawTransaction(*chain->rpc, raw);
  if (!sent.ok()) {
    // The node's refusal names the caller's sender and nonce (NONCE_TOO_LOW, INSUFFICIENT_FUNDS).
    return WithMetadata(ClassifyChainError(sent.status(), chain->chain_id),
                        {{"from", ToChecksumAddress(checked.sender)},
                         {"nonce", absl::StrCat(checked.tx.tx.nonce)}});
  }
  const Hash32 hash = *sent;
  const uint32_t confirmations = Confirmations(req.options().confirmations());
  if (req.options().wait()) {
    absl::StatusOr<Receipt> r =
        chain->txm->WaitForReceipt(hash, confirmations, WaitTimeout(req.options()));
    if (!r.ok() && !absl::IsDeadlineExceeded(r.status()) && !absl::IsAborted(r.status()))
      return r.status();
  }
  pb::TransactionStatus* st = resp->mutable_transaction();
  RETURN_IF_ERROR(FillTxStatus(*chain, hash, confirmations, st));
  if (st->from().empty()) st->set_from(Raw(checked.sender));
  if (st->to().empty()) st->set_to(Raw(checked.to));
  st->set_nonce(checked.tx.tx.nonce);
  return absl::OkStatus();
}

absl::Status RegistryService::DoGetTransaction(const pb::GetTransactionRequest& req,
                                               pb::GetTransactionResponse* resp) {
  ASSIGN_OR_RETURN(Hash32 tx, ToHash(req.tx_hash(), "tx_hash"));
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  return FillTxStatus(*chain, tx, req.confirmations(), resp->mutable_transaction());
}

}  // namespace chainkms::registry
