#include "lib/chain/tx_manager.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/jsonrpc/errors.h"

namespace chainkms {
namespace {

U256 MulDiv(const U256& v, uint64_t mul, uint64_t div) {
  std::optional<U256> p = v.CheckedMul(U256(mul));
  if (!p) return U256::Max();
  return *p->CheckedDiv(U256(div));
}

U256 AddSat(const U256& a, const U256& b) { return a.CheckedAdd(b).value_or(U256::Max()); }

U256 Median(std::vector<U256> v) {
  if (v.empty()) return U256(0);
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::optional<RpcErrorKind> KindOf(const absl::Status& s) {
  std::optional<RpcError> e = GetRpcError(s);
  if (!e) return std::nullopt;
  return e->kind;
}

}  // namespace

std::string_view TxStateName(TxState s) {
  switch (s) {
    case TxState::kPending:
      return "pending";
    case TxState::kConfirmed:
      return "confirmed";
    case TxState::kFailed:
      return "failed";
    case TxState::kReplaced:
      return "replaced";
    case TxState::kDropped:
      return "dropped";
  }
  return "unknown";
}

TxFees BumpFees(const TxFees& f) {
  auto bump = [](const U256& v) {
    U256 b = MulDiv(v, 1125, 1000);
    U256 min = AddSat(v, U256(1));
    return b > min ? b : min;
  };
  return TxFees{bump(f.max_fee_per_gas), bump(f.max_priority_fee_per_gas)};
}

TxManager::TxManager(RpcCaller& rpc, uint64_t chain_id, Clock& clock, TxManagerOptions options)
    : rpc_(rpc), chain_id_(chain_id), clock_(clock), options_(std::move(options)) {}

absl::StatusOr<TxFees> TxManager::SuggestFees() {
  std::optional<U256> priority;
  std::optional<U256> base;
  absl::StatusOr<FeeHistory> h =
      eth_rpc::GetFeeHistory(rpc_, options_.fee_history_blocks, {options_.priority_fee_percentile});
  if (h.ok()) {
    if (!h->base_fee_per_gas.empty()) base = h->base_fee_per_gas.back();
    std::vector<U256> rewards;
    for (const auto& row : h->reward) {
      if (!row.empty()) rewards.push_back(row[0]);
    }
    if (!rewards.empty()) priority = Median(rewards);
  }
  if (!priority) {
    ASSIGN_OR_RETURN(priority, eth_rpc::MaxPriorityFeePerGas(rpc_));
  }
  if (!base) {
    ASSIGN_OR_RETURN(BlockHeader head, eth_rpc::GetBlock(rpc_, BlockTag::Latest()));
    if (!head.base_fee_per_gas)
      return absl::FailedPreconditionError("chain has no EIP-1559 base fee");
    base = head.base_fee_per_gas;
  }
  U256 tip = std::max(*priority, options_.min_priority_fee);
  return TxFees{AddSat(MulDiv(*base, 2, 1), tip), tip};
}

absl::StatusOr<uint64_t> TxManager::Gas(const TxRequest& r) {
  if (r.gas_limit) return *r.gas_limit;
  CallRequest c;
  c.from = r.signer->address();
  c.to = r.to;
  c.data = r.data;
  c.value = r.value;
  ASSIGN_OR_RETURN(uint64_t est, eth_rpc::EstimateGas(rpc_, c));
  U256 g = MulDiv(U256(est), 100 + options_.gas_margin_percent, 100);
  return g.ToU64().value_or(est);
}

TxManager::Lane& TxManager::LaneFor(const Address& sender, const std::shared_ptr<Signer>& signer) {
  chainkms::MutexLock l(&lanes_mu_);
  std::unique_ptr<Lane>& lane = lanes_[sender];
  if (!lane) lane = std::make_unique<Lane>();
  if (signer) {
    chainkms::MutexLock ll(&lane->mu);
    if (!lane->signer) lane->signer = signer;
  }
  return *lane;
}

absl::StatusOr<SentTx> TxManager::SignAndSend(Signer& signer, const Transaction& tx) {
  ASSIGN_OR_RETURN(SignedTransaction st, SignWith(signer, tx));
  SentTx sent;
  sent.raw = EncodeSigned(st);
  sent.hash = TransactionHash(sent.raw);
  sent.from = signer.address();
  sent.nonce = tx.nonce;
  sent.gas_limit = tx.gas_limit;
  sent.fees = TxFees{tx.max_fee_per_gas, tx.max_priority_fee_per_gas};
  absl::StatusOr<Hash32> h = eth_rpc::SendRawTransaction(rpc_, sent.raw);
  if (h.ok()) return sent;
  std::optional<RpcErrorKind> kind = KindOf(h.status());
  if (kind == RpcErrorKind::kAlreadyKnown) return sent;
  if (!kind || *kind == RpcErrorKind::kOther || *kind == RpcErrorKind::kRateLimited) {
    // Ambiguous: the node may have taken it before the reply was lost.
    absl::StatusOr<bool> known = eth_rpc::TransactionKnown(rpc_, sent.hash);
    if (known.ok() && *known) return sent;
  }
  return h.status();
}

void TxManager::Track(const std::shared_ptr<Signer>& signer, const Transaction& tx,
                      const SentTx& sent) {
  chainkms::MutexLock l(&tracked_mu_);
  std::shared_ptr<Tracked>& t = by_nonce_[{sent.from, sent.nonce}];
  if (!t || t->state != TxState::kPending) {
    t = std::make_shared<Tracked>();
  }
  t->signer = signer;
  t->tx = tx;
  t->versions.push_back(sent);
  t->last_sent = clock_.Now();
  by_hash_[sent.hash] = t;
}

void TxManager::RecordState(TxState state) const {
  if (options_.metrics != nullptr) options_.metrics->RecordTransactionState(TxStateName(state));
}

std::shared_ptr<TxManager::Tracked> TxManager::Find(const Hash32& hash) const {
  chainkms::MutexLock l(&tracked_mu_);
  auto it = by_hash_.find(hash);
  return it == by_hash_.end() ? nullptr : it->second;
}

absl::StatusOr<SentTx> TxManager::Send(const TxRequest& request) {
  if (!request.signer) return absl::InvalidArgumentError("signer: required");
  Address from = request.signer->address();
  ASSIGN_OR_RETURN(uint64_t gas, Gas(request));
  ASSIGN_OR_RETURN(TxFees fees, SuggestFees());
  Lane& lane = LaneFor(from, request.signer);
  chainkms::MutexLock l(&lane.mu);
  // One pending-count read per send: it notices another sender of this key (lane moves up)
  // and transactions that vanished from the node (reported DROPPED, lane re-synced).
  RETURN_IF_ERROR(ReconcileLocked(lane, from, /*with_latest=*/false).status());
  absl::Status last;
  for (int attempt = 0; attempt < options_.max_send_attempts; ++attempt) {
    Transaction tx;
    tx.type = TxType::kDynamicFee;
    tx.chain_id = chain_id_;
    tx.nonce = lane.next;
    tx.max_fee_per_gas = fees.max_fee_per_gas;
    tx.max_priority_fee_per_gas = fees.max_priority_fee_per_gas;
    tx.gas_limit = gas;
    tx.to = request.to;
    tx.value = request.value;
    tx.data = request.data;
    absl::StatusOr<SentTx> sent = SignAndSend(*request.signer, tx);
    if (sent.ok()) {
      lane.next = tx.nonce + 1;
      Track(request.signer, tx, *sent);
      RecordState(TxState::kPending);
      return sent;
    }
    last = sent.status();
    std::optional<RpcErrorKind> kind = KindOf(last);
    if (kind == RpcErrorKind::kNonceTooLow || kind == RpcErrorKind::kReplacementUnderpriced) {
      ASSIGN_OR_RETURN(uint64_t pending,
                       eth_rpc::GetTransactionCount(rpc_, from, BlockTag::Pending()));
      lane.next = std::max(pending, tx.nonce + 1);
      continue;
    }
    if (kind == RpcErrorKind::kNonceTooHigh) {
      RETURN_IF_ERROR(ReconcileLocked(lane, from, /*with_latest=*/false).status());
      continue;
    }
    // Anything else: the nonce stays with the lane, so the next Send reuses it.
    return last;
  }
  return last;
}

absl::StatusOr<LaneState> TxManager::Reconcile(const Address& sender) {
  Lane& lane = LaneFor(sender, nullptr);
  chainkms::MutexLock l(&lane.mu);
  return ReconcileLocked(lane, sender);
}

absl::StatusOr<LaneState> TxManager::ReconcileLocked(Lane& lane, const Address& sender,
                                                     bool with_latest) {
  LaneState s;
  if (with_latest) {
    ASSIGN_OR_RETURN(s.latest, eth_rpc::GetTransactionCount(rpc_, sender, BlockTag::Latest()));
  }
  ASSIGN_OR_RETURN(s.pending, eth_rpc::GetTransactionCount(rpc_, sender, BlockTag::Pending()));
  if (!lane.synced || s.pending >= lane.next) {
    lane.next = std::max(s.pending, lane.synced ? lane.next : 0);
    lane.synced = true;
    s.next = lane.next;
    return s;
  }
  RETURN_IF_ERROR(HandleVanished(lane, sender, s));
  s.next = lane.next;
  return s;
}

absl::Status TxManager::HandleVanished(Lane& lane, const Address& sender, LaneState& state) {
  // Which of our transactions for the missing nonces does the node still know?
  struct Missing {
    uint64_t nonce;
    std::shared_ptr<Tracked> tracked;
    bool known;
  };
  std::vector<Missing> missing;
  for (uint64_t n = state.pending; n < lane.next; ++n) {
    std::shared_ptr<Tracked> t;
    std::vector<Hash32> hashes;
    {
      chainkms::MutexLock tl(&tracked_mu_);
      auto it = by_nonce_.find({sender, n});
      if (it != by_nonce_.end()) {
        t = it->second;
        for (const SentTx& v : t->versions) hashes.push_back(v.hash);
      }
    }
    bool known = false;
    for (const Hash32& h : hashes) {
      ASSIGN_OR_RETURN(bool k, eth_rpc::TransactionKnown(rpc_, h));
      known = known || k;
    }
    missing.push_back({n, t, known});
  }
  // The node holds our transaction at its pending nonce: the count lags (a load-balanced
  // endpoint); nothing vanished.
  if (!missing.empty() && missing.front().known) return absl::OkStatus();

  for (const Missing& m : missing) {
    if (!m.tracked) continue;
    if (m.known) {
      // Queued behind the gap: overwrite it with a no-op at the same nonce before a new
      // transaction fills the gap and lets it run.
      Transaction noop;
      TxFees old;
      std::shared_ptr<Signer> signer;
      {
        chainkms::MutexLock tl(&tracked_mu_);
        old = {m.tracked->tx.max_fee_per_gas, m.tracked->tx.max_priority_fee_per_gas};
        signer = m.tracked->signer;
      }
      if (!signer) signer = lane.signer;
      if (!signer) {
        return absl::FailedPreconditionError(absl::StrCat(
            "nonce ", m.nonce, " of ", ToChecksumAddress(sender),
            " holds an old transaction queued behind a gap and no signer can overwrite it"));
      }
      TxFees fees = BumpFees(old);
      if (absl::StatusOr<TxFees> fresh = SuggestFees(); fresh.ok()) {
        fees.max_fee_per_gas = std::max(fees.max_fee_per_gas, fresh->max_fee_per_gas);
        fees.max_priority_fee_per_gas =
            std::max(fees.max_priority_fee_per_gas, fresh->max_priority_fee_per_gas);
      }
      noop.chain_id = chain_id_;
      noop.nonce = m.nonce;
      noop.max_fee_per_gas = fees.max_fee_per_gas;
      noop.max_priority_fee_per_gas = fees.max_priority_fee_per_gas;
      noop.gas_limit = 21000;
      noop.to = sender;
      ASSIGN_OR_RETURN(SentTx sent, SignAndSend(*signer, noop));
      {
        chainkms::MutexLock tl(&tracked_mu_);
        m.tracked->state = TxState::kDropped;
        m.tracked->reason = absl::StrCat(
            "an earlier nonce vanished from the node; this transaction, queued behind the gap, was "
            "overwritten by a no-op (",
            Hex0x(sent.hash.view()), ") so it never runs");
        // The no-op is tracked on its own; the dropped write keeps its hashes.
        by_nonce_.erase({sender, m.nonce});
      }
      Track(signer, noop, sent);
      state.filled.push_back(m.nonce);
    } else {
      chainkms::MutexLock tl(&tracked_mu_);
      m.tracked->state = TxState::kDropped;
      m.tracked->mined_hash.reset();
      m.tracked->receipt.reset();
      m.tracked->reason =
          absl::StrCat("vanished from the node (restart, mempool drop or chain reset); nonce ",
                       m.nonce, " is free again and the transaction will not be re-sent");
    }
    RecordState(TxState::kDropped);
    state.dropped.push_back(m.nonce);
  }
  lane.next = state.pending;
  return absl::OkStatus();
}

absl::StatusOr<SentTx> TxManager::SpeedUp(const Hash32& hash) {
  std::shared_ptr<Tracked> t = Find(hash);
  if (!t)
    return absl::NotFoundError(
        absl::StrCat("transaction ", Hex0x(hash.view()), " was not sent here"));
  Transaction tx;
  std::shared_ptr<Signer> signer;
  {
    chainkms::MutexLock l(&tracked_mu_);
    if (t->state != TxState::kPending) {
      return absl::FailedPreconditionError(
          absl::StrCat("transaction is ", std::string(TxStateName(t->state))));
    }
    tx = t->tx;
    signer = t->signer;
  }
  TxFees bumped = BumpFees({tx.max_fee_per_gas, tx.max_priority_fee_per_gas});
  absl::StatusOr<TxFees> fresh = SuggestFees();
  if (fresh.ok()) {
    bumped.max_fee_per_gas = std::max(bumped.max_fee_per_gas, fresh->max_fee_per_gas);
    bumped.max_priority_fee_per_gas =
        std::max(bumped.max_priority_fee_per_gas, fresh->max_priority_fee_per_gas);
  }
  tx.max_fee_per_gas = bumped.max_fee_per_gas;
  tx.max_priority_fee_per_gas = bumped.max_priority_fee_per_gas;
  absl::StatusOr<SentTx> sent = SignAndSend(*signer, tx);
  if (!sent.ok()) {
    if (KindOf(sent.status()) == RpcErrorKind::kNonceTooLow) {
      return absl::FailedPreconditionError("the nonce is already mined; nothing to replace");
    }
    return sent.status();
  }
  Track(signer, tx, *sent);
  return sent;
}

absl::StatusOr<bool> TxManager::CheckTakenNonce(Tracked& t) {
  Address from;
  uint64_t nonce = 0;
  std::vector<Hash32> hashes;
  {
    chainkms::MutexLock l(&tracked_mu_);
    if (t.state != TxState::kPending || t.mined_hash.has_value()) return false;
    from = t.versions.back().from;
    nonce = t.versions.back().nonce;
    for (const SentTx& v : t.versions) hashes.push_back(v.hash);
  }
  auto not_taken = [&] {
    chainkms::MutexLock l(&tracked_mu_);
    t.taken_seen = 0;
    return false;
  };
  ASSIGN_OR_RETURN(uint64_t mined, eth_rpc::GetTransactionCount(rpc_, from, BlockTag::Latest()));
  if (mined <= nonce) return not_taken();
  // The nonce is used on chain. One of ours may have been mined between the receipt poll and
  // the count (a node can count a block before it serves its receipts): ask for our receipts
  // and whether the node knows any of our versions.
  for (const Hash32& h : hashes) {
    ASSIGN_OR_RETURN(std::optional<Receipt> r, eth_rpc::GetTransactionReceipt(rpc_, h));
    if (r.has_value()) return not_taken();
    ASSIGN_OR_RETURN(bool known, eth_rpc::TransactionKnown(rpc_, h));
    if (known) return not_taken();
  }
  {
    chainkms::MutexLock l(&tracked_mu_);
    if (t.state != TxState::kPending) return false;
    // Only a second look in a row, one poll later, decides: never drop on a passing glimpse.
    if (++t.taken_seen < 2) return false;
    t.state = TxState::kDropped;
    t.reason = absl::StrCat("nonce ", nonce, " of ", ToChecksumAddress(from),
                            " was used by another transaction; this one can never be mined");
  }
  RecordState(TxState::kDropped);
  return true;
}

absl::StatusOr<std::optional<TxStatus>> TxManager::Refresh(const Hash32& hash) {
  std::shared_ptr<Tracked> t = Find(hash);
  if (!t) return std::optional<TxStatus>();
  RETURN_IF_ERROR(CheckTakenNonce(*t).status());
  return GetStatus(hash);
}

std::optional<TxStatus> TxManager::GetStatus(const Hash32& hash) const {
  std::shared_ptr<Tracked> t = Find(hash);
  if (!t) return std::nullopt;
  chainkms::MutexLock l(&tracked_mu_);
  TxStatus s;
  s.hash = hash;
  s.from = t->versions.back().from;
  s.nonce = t->versions.back().nonce;
  s.state = t->state;
  s.reason = t->reason;
  if (t->mined_hash && *t->mined_hash != hash) {
    s.state = TxState::kReplaced;
    s.replaced_by = t->mined_hash;
  } else if (t->mined_hash) {
    s.receipt = t->receipt;
    s.confirmations = t->confirmations;
  } else if (t->versions.back().hash != hash) {
    s.replaced_by = t->versions.back().hash;
  }
  return s;
}

absl::StatusOr<Receipt> TxManager::WaitForReceipt(const Hash32& hash, uint64_t confirmations,
                                                  absl::Duration timeout,
                                                  const ProgressCallback& progress) {
  if (confirmations == 0) return absl::InvalidArgumentError("confirmations: at least 1");
  auto report = [&](TxProgress::Kind kind, const Hash32& h, uint64_t block, uint64_t conf) {
    if (progress) progress(TxProgress{kind, h, block, conf});
  };
  const absl::Time deadline = clock_.Now() + timeout;
  std::shared_ptr<Tracked> t = Find(hash);
  std::optional<PinnedBlock> seen;  // where we last saw it mined
  Hash32 seen_tx;                   // which of the candidates was mined there
  uint64_t last_conf = 0;
  // Its block left the canonical chain: forget where it was mined and wait again.
  const auto forget_mined = [&] {
    if (t) {
      chainkms::MutexLock l(&tracked_mu_);
      t->mined_hash.reset();
      t->receipt.reset();
      t->confirmations = 0;
      t->state = TxState::kPending;
    }
    seen.reset();
    last_conf = 0;
  };
  report(TxProgress::Kind::kWaiting, hash, 0, 0);
  while (true) {
    if (t) {
      chainkms::MutexLock l(&tracked_mu_);
      if (t->state == TxState::kDropped) {
        return absl::AbortedError(
            absl::StrCat("transaction ", Hex0x(hash.view()), " was dropped: ", t->reason));
      }
    }
    std::vector<Hash32> candidates;
    if (t) {
      chainkms::MutexLock l(&tracked_mu_);
      for (auto it = t->versions.rbegin(); it != t->versions.rend(); ++it) {
        candidates.push_back(it->hash);
      }
    } else {
      candidates.push_back(hash);
    }
    std::optional<Receipt> receipt;
    absl::Status err;
    for (const Hash32& h : candidates) {
      absl::StatusOr<std::optional<Receipt>> r = eth_rpc::GetTransactionReceipt(rpc_, h);
      if (!r.ok()) {
        err = r.status();
        break;
      }
      if (*r) {
        receipt = std::move(**r);
        break;
      }
    }
    if (err.ok() && !receipt && seen) {
      // Mined before, and now the node has no receipt: its block left the canonical chain and
      // the transaction is back in the pool (or dropped). Report it and wait again.
      report(TxProgress::Kind::kReorged, seen_tx, seen->number, 0);
      forget_mined();
    }
    if (err.ok() && receipt) {
      absl::StatusOr<BlockHeader> at =
          eth_rpc::GetBlock(rpc_, BlockTag::Number(receipt->block_number));
      absl::StatusOr<uint64_t> head = eth_rpc::BlockNumber(rpc_);
      if (at.ok() && head.ok()) {
        if (at->block.hash != receipt->block_hash || (seen && seen->hash != receipt->block_hash)) {
          // Its block left the canonical chain: report and wait for it to be mined again.
          uint64_t old = seen ? seen->number : receipt->block_number;
          report(TxProgress::Kind::kReorged, receipt->transaction_hash, old, 0);
          forget_mined();
          if (at->block.hash == receipt->block_hash) continue;  // re-mined: count from here
        } else {
          uint64_t conf = *head >= receipt->block_number ? *head - receipt->block_number + 1 : 0;
          if (!seen)
            report(TxProgress::Kind::kMined, receipt->transaction_hash, receipt->block_number,
                   conf);
          seen = PinnedBlock{receipt->block_number, receipt->block_hash};
          seen_tx = receipt->transaction_hash;
          if (conf != last_conf) {
            report(TxProgress::Kind::kConfirmation, receipt->transaction_hash,
                   receipt->block_number, conf);
            last_conf = conf;
          }
          if (t) {
            chainkms::MutexLock l(&tracked_mu_);
            t->mined_hash = receipt->transaction_hash;
            t->receipt = *receipt;
            t->confirmations = conf;
            if (conf >= confirmations && t->state == TxState::kPending) {
              t->state = receipt->success ? TxState::kConfirmed : TxState::kFailed;
              if (!receipt->success) t->reason = "execution reverted (receipt status 0)";
              RecordState(t->state);
            }
          }
          if (conf >= confirmations) return *receipt;
        }
      }
    } else if (err.ok() && t) {
      // Not mined: was its nonce taken by another transaction of the same key?
      absl::StatusOr<bool> dropped = CheckTakenNonce(*t);
      if (dropped.ok() && *dropped) continue;  // the loop's first check reports it
    }
    if (err.ok() && !receipt && t && options_.stuck_after > absl::ZeroDuration()) {
      absl::Time last_sent;
      {
        chainkms::MutexLock l(&tracked_mu_);
        last_sent = t->last_sent;
      }
      if (clock_.Now() - last_sent >= options_.stuck_after) {
        absl::StatusOr<SentTx> r = SpeedUp(hash);
        if (r.ok()) report(TxProgress::Kind::kReplaced, r->hash, 0, 0);
      }
    }
    if (clock_.Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("no receipt with ", confirmations,
                                                      " confirmations for ", Hex0x(hash.view()),
                                                      " within ", absl::FormatDuration(timeout)));
    }
    clock_.SleepFor(options_.poll_interval);
  }
}

}  // namespace chainkms
