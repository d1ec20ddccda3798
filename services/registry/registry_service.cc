// RegistryService: construction and what every handler shares (chain lookup, owner-checked and
// idempotent writes, transaction status). The handlers are in registry_{writes,reads,
// transactions,watch}.cc.
#include "services/registry/registry_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/chain/contracts.h"
#include "lib/chain/errors.h"
#include "lib/chain/eth_rpc.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/common/u256.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/address.h"
#include "lib/server/handle.h"
#include "lib/server/proto_fields.h"
#include "services/registry/proto_convert.h"
#include "services/registry/registry_handlers.h"

namespace chainkms::registry {

namespace pb = ::chainkms::v1;
using server::CheckMaxSize;
using server::Raw;
using server::ToAddress;

RegistryService::RegistryService(ChainSet chains, std::shared_ptr<const SignerSet> signers,
                                 server::Serving serving, Clock& clock, RegistryOptions options)
    : chains_(std::move(chains)),
      signers_(signers != nullptr ? std::move(signers) : std::make_shared<const SignerSet>()),
      serving_(serving),
      clock_(clock),
      options_(options),
      idempotency_(clock) {}

RegistryService::~RegistryService() = default;

uint32_t RegistryService::Confirmations(uint32_t requested) const {
  return requested == 0 ? options_.default_confirmations : requested;
}

absl::Duration RegistryService::WaitTimeout(const pb::WriteOptions& options) const {
  return options.wait_timeout_seconds() > 0 ? absl::Seconds(options.wait_timeout_seconds())
                                            : options_.default_wait_timeout;
}

std::optional<PinnedBlock> RegistryService::At(uint64_t block_number) {
  if (block_number == 0) return std::nullopt;
  return PinnedBlock{.number = block_number, .hash = Hash32{}};
}

absl::Status RegistryService::ExplainBlockError(Chain& chain, uint64_t block_number,
                                                absl::Status status) {
  if (status.ok() || block_number == 0 || ReasonOf(status).has_value()) return status;
  absl::StatusOr<uint64_t> head = chain.reader->BlockNumber();
  if (head.ok() && *head < block_number) {
    return WithReason(absl::InvalidArgumentError(absl::StrCat("block_number: block ", block_number,
                                                              " is beyond the head of chain ",
                                                              chain.chain_id, " (", *head, ")")),
                      Reason::kInvalidField,
                      {{"field", "block_number"}, {"detail", absl::StrCat("head is ", *head)}});
  }
  return status;
}

absl::StatusOr<Address> RegistryService::ReadOwner(Chain& chain, const Address& contract,
                                                   bool pending) {
  absl::StatusOr<Bytes> ret = eth_rpc::Call(
      *chain.rpc,
      CallRequest{.to = contract, .data = pending ? ownable::PendingOwner() : ownable::Owner()},
      BlockTag::Latest());
  if (!ret.ok() && ret.status().code() == absl::StatusCode::kFailedPrecondition) {
    // "No contract" may be a node on another network: say so (costs a round trip only here).
    absl::StatusOr<uint64_t> id = eth_rpc::ChainId(*chain.rpc);
    if (id.ok() && *id != chain.chain_id) {
      return absl::UnavailableError(
          absl::StrCat("the node answered from another chain (eth_chainId ", *id, ", want ",
                       chain.chain_id, "); nothing was sent"));
    }
  }
  if (!ret.ok()) return ret.status();
  return DecodeAddressResult(*ret);
}

absl::Status RegistryService::FillTxStatus(Chain& chain, const Hash32& hash, uint32_t confirmations,
                                           pb::TransactionStatus* out) {
  confirmations = Confirmations(confirmations);
  out->set_chain_id(chain.chain_id);
  out->set_tx_hash(Raw(hash));
  std::optional<Receipt> receipt;
  ASSIGN_OR_RETURN(std::optional<TxStatus> st, chain.txm->Refresh(hash));
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
        return WithReason(absl::NotFoundError(absl::StrCat(
                              "tx_hash: transaction ", Hex0x(hash.view()), " is unknown to chain ",
                              chain.chain_id, " and to this server")),
                          Reason::kTransactionNotFound, {{"tx_hash", Hex0x(hash.view())}});
      }
      out->set_state(pb::TRANSACTION_STATE_PENDING);
      return absl::OkStatus();
    }
    out->set_from(Raw(receipt->from));
    out->set_state(receipt->success ? pb::TRANSACTION_STATE_CONFIRMED
                                    : pb::TRANSACTION_STATE_FAILED);
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
    case pb::TRANSACTION_STATE_CONFIRMED:
      out->set_final(out->confirmations() >= confirmations);
      break;
    case pb::TRANSACTION_STATE_FAILED:
    case pb::TRANSACTION_STATE_REPLACED:
    case pb::TRANSACTION_STATE_DROPPED:
      out->set_final(true);
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<RegistryService::WriteResult> RegistryService::SendOnce(
    Chain& chain, const WriteCall& call, std::shared_ptr<Signer> signer) {
  const Address from = signer->address();
  if (call.check != OwnerCheck::kNone) {
    const bool pending = call.check == OwnerCheck::kPendingOwner;
    ASSIGN_OR_RETURN(Address owner, ReadOwner(chain, call.owned_contract, pending));
    if (owner != from) {
      return WithReason(
          absl::FailedPreconditionError(
              absl::StrCat(pending ? "the pending owner of " : "the owner of ",
                           ToChecksumAddress(call.owned_contract), " is ", ToChecksumAddress(owner),
                           ", not ", ToChecksumAddress(from), "; nothing was sent")),
          Reason::kNotOwner,
          {{"contract", ToChecksumAddress(call.owned_contract)},
           {"owner", ToChecksumAddress(owner)},
           {"from", ToChecksumAddress(from)}});
    }
  }
  ASSIGN_OR_RETURN(SentTx sent,
                   chain.txm->Send({.signer = signer, .to = call.to, .data = call.data}));
  return WriteResult{.hash = sent.hash, .receipt = std::nullopt};
}

absl::StatusOr<RegistryService::WriteResult> RegistryService::Write(const WriteCall& call,
                                                                    pb::TransactionStatus* out) {
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(call.chain_id));
  ASSIGN_OR_RETURN(Address from, ToAddress(*call.from, "from"));
  const std::string& key = call.options->idempotency_key();
  RETURN_IF_ERROR(CheckMaxSize(key, kMaxIdempotencyKeyBytes, "options.idempotency_key"));
  ASSIGN_OR_RETURN(std::shared_ptr<Signer> signer, signers_->Find(from));

  // A node's refusal (NONCE_TOO_LOW, INSUFFICIENT_FUNDS) names the sender.
  auto send = [&]() -> absl::StatusOr<WriteResult> {
    absl::StatusOr<WriteResult> r = SendOnce(*chain, call, signer);
    if (r.ok()) return r;
    return WithMetadata(ClassifyChainError(r.status(), chain->chain_id),
                        {{"from", ToChecksumAddress(from)}});
  };
  WriteResult result;
  if (key.empty()) {
    ASSIGN_OR_RETURN(result, send());
  } else {
    // The same write is (chain, sender, target, calldata); a retry of it sends nothing.
    const Hash32 chain_word = U256(call.chain_id).ToBigEndian();
    Bytes id(chain_word.begin(), chain_word.end());
    id.insert(id.end(), from.begin(), from.end());
    id.insert(id.end(), call.to.begin(), call.to.end());
    id.insert(id.end(), call.data.begin(), call.data.end());
    ASSIGN_OR_RETURN(IdempotencyCache::Claim claim, idempotency_.Begin(key, Keccak256(id)));
    if (claim.existing.has_value()) {
      result.hash = *claim.existing;
    } else {
      absl::StatusOr<WriteResult> sent = send();
      idempotency_.Finish(key, sent.ok() ? absl::StatusOr<Hash32>(sent->hash)
                                         : absl::StatusOr<Hash32>(sent.status()));
      if (!sent.ok()) return sent.status();
      result = *std::move(sent);
    }
  }
  const uint32_t confirmations = Confirmations(call.options->confirmations());
  if (call.options->wait() || call.wait_for_receipt) {
    absl::StatusOr<Receipt> r =
        chain->txm->WaitForReceipt(result.hash, confirmations, WaitTimeout(*call.options));
    if (r.ok()) {
      result.receipt = *r;
    } else if (!absl::IsDeadlineExceeded(r.status()) && !absl::IsAborted(r.status())) {
      return r.status();
    }
  }
  RETURN_IF_ERROR(FillTxStatus(*chain, result.hash, confirmations, out));
  if (out->to().empty()) out->set_to(Raw(call.to));
  return result;
}

}  // namespace chainkms::registry
