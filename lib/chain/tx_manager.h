// TxManager: sends EIP-1559 transactions for registry — fees from eth_feeHistory, gas from
// eth_estimateGas (+margin, reverts caught before anything is sent), one nonce lane per sender,
// receipts awaited to a confirmation depth, stuck transactions replaced, reorgs reported.
//
//   auto signer = std::make_shared<LocalKeySigner>(std::move(key));
//   TxManager txm(rpc, /*chain_id=*/31337, SystemClock::Get());
//   ASSIGN_OR_RETURN(SentTx sent, txm.Send({.signer = signer, .to = app,
//                                           .data = dstack_app::AddComposeHash(h)}));
//   ASSIGN_OR_RETURN(Receipt r, txm.WaitForReceipt(sent.hash, /*confirmations=*/2,
//                                                   absl::Minutes(5), [](const TxProgress& p)
//                                                   {...}));
//   if (!r.success) ...;  // mined but reverted; GetStatus(sent.hash)->state == TxState::kFailed
//
// Nonce policy (one lane per (chain, sender); a TxManager serves one chain):
//  - The lane starts at eth_getTransactionCount(pending) and is held locked while a transaction
//    is signed and sent, so concurrent Send calls get consecutive nonces.
//  - A send that fails does not consume its nonce: the next Send reuses it (no gap). When the
//    failure is ambiguous (transport trouble) the node is asked whether it knows the hash; if it
//    does, the send counts as done.
//  - "nonce too low" / "replacement underpriced" (the nonce is taken, e.g. after a restart or by
//    another process): the lane resyncs to max(pending, nonce + 1) and retries, up to
//    max_send_attempts.
//  - Every Send first asks for the pending count. Above the lane: another process used the
//    key, the lane moves up. Below the lane (the node restarted with fresh state, dropped its
//    mempool, the chain was reset): the transactions we sent for the missing nonces vanished.
//    Each one the node no longer knows is reported DROPPED (its nonce is free again) and never
//    re-broadcast — an old write must not execute later behind the caller's back. Ours that the
//    node still holds queued behind the gap are overwritten at once by 0-value self-transfers
//    with bumped fees (and reported DROPPED too), so nothing old waits behind the gap. Then the
//    lane re-syncs to the chain's pending nonce. "nonce too high" triggers the same check.
// Fee policy: priority = the median over the last fee_history_blocks blocks of each block's
// priority_fee_percentile reward (fallback eth_maxPriorityFeePerGas), at least
// min_priority_fee; maxFee = 2 × next base fee + priority. Replacement: both fees × 1.125 and at
// least +1 wei, and never below a fresh suggestion.
// Errors: bad input INVALID_ARGUMENT naming the field; a revert at estimate FAILED_PRECONDITION
// "execution reverted: <reason>" (nothing sent, nonce not consumed); chain trouble UNAVAILABLE;
// node rejections keep the jsonrpc classification (GetRpcError).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/chain/eth_rpc.h"
#include "lib/chain/signer.h"
#include "lib/common/chain_metrics.h"
#include "lib/common/clock.h"
#include "lib/common/sync.h"
#include "lib/common/u256.h"
#include "lib/crypto/secp256k1.h"
#include "lib/eth/transaction.h"
#include "lib/jsonrpc/rpc_caller.h"

namespace chainkms {

struct TxFees {
  U256 max_fee_per_gas;
  U256 max_priority_fee_per_gas;
  friend bool operator==(const TxFees&, const TxFees&) = default;
};

// Fees × 1.125, each at least +1 wei: what a replacement pays (nodes require ≥ 10%).
TxFees BumpFees(const TxFees& fees);

// Every member has a default, so designated initializers may name only what they set.
struct TxRequest {
  std::shared_ptr<Signer> signer = {};
  std::optional<Address> to = {};  // nullopt: contract creation
  Bytes data = {};
  U256 value = {};
  std::optional<uint64_t> gas_limit = {};  // nullopt: estimate + margin
};

struct SentTx {
  Hash32 hash;
  Address from;
  uint64_t nonce = 0;
  uint64_t gas_limit = 0;
  TxFees fees;
  Bytes raw;
};

enum class TxState { kPending, kConfirmed, kFailed, kReplaced, kDropped };
std::string_view TxStateName(TxState s);

struct TxStatus {
  TxState state = TxState::kPending;
  Hash32 hash;
  Address from;
  uint64_t nonce = 0;
  // Another transaction of ours for the same nonce: the one that was mined (kReplaced) or the
  // latest replacement sent (kPending).
  std::optional<Hash32> replaced_by;
  std::optional<Receipt> receipt;  // once mined
  uint64_t confirmations = 0;
  std::string reason;  // kFailed / kDropped
};

struct TxProgress {
  enum class Kind { kWaiting, kMined, kConfirmation, kReorged, kReplaced };
  Kind kind = Kind::kWaiting;
  Hash32 hash;         // the transaction the event is about (for kReplaced: the new one)
  uint64_t block = 0;  // kMined / kConfirmation / kReorged: the block it was in
  uint64_t confirmations = 0;
};
using ProgressCallback = std::function<void(const TxProgress&)>;

struct TxManagerOptions {
  uint32_t gas_margin_percent = 20;
  uint64_t fee_history_blocks = 10;
  double priority_fee_percentile = 50;
  U256 min_priority_fee = U256(1);
  absl::Duration poll_interval = absl::Seconds(1);
  // A transaction without a receipt this long after it was (re)sent is replaced with bumped fees
  // while WaitForReceipt runs. ZeroDuration() disables it.
  absl::Duration stuck_after = absl::Minutes(3);
  int max_send_attempts = 4;
  // Transactions by state (chainkms_transactions_total{state}). May be null.
  ChainMetrics* metrics = nullptr;
};

// What Reconcile found.
struct LaneState {
  uint64_t latest = 0;            // eth_getTransactionCount(latest)
  uint64_t pending = 0;           // eth_getTransactionCount(pending)
  uint64_t next = 0;              // the lane's next nonce after reconciling
  std::vector<uint64_t> dropped;  // nonces whose transactions vanished (reported DROPPED)
  std::vector<uint64_t> filled;  // nonces where a queued old transaction was overwritten by a no-op
};

class TxManager {
 public:
  TxManager(RpcCaller& rpc, uint64_t chain_id, Clock& clock, TxManagerOptions options = {});

  absl::StatusOr<TxFees> SuggestFees();

  // Estimates (unless gas_limit is given), signs with the lane's next nonce and sends.
  absl::StatusOr<SentTx> Send(const TxRequest& request);

  // Re-sends the transaction `hash` (or its latest replacement) with the same nonce and
  // BumpFees. FAILED_PRECONDITION when one of them is already mined; NOT_FOUND for a hash this
  // manager did not send.
  absl::StatusOr<SentTx> SpeedUp(const Hash32& hash);

  // Polls until the transaction (or one of its replacements) is `confirmations` deep (1 = mined)
  // on the canonical chain; DEADLINE_EXCEEDED after `timeout`. A receipt whose block is no longer
  // canonical is reported (kReorged) and awaited again. Replaces the transaction when stuck. A
  // mined, reverted transaction is returned with success=false. Works for hashes this manager
  // did not send (no replacement then). ABORTED when the transaction was dropped (GetStatus
  // says why).
  absl::StatusOr<Receipt> WaitForReceipt(const Hash32& hash, uint64_t confirmations,
                                         absl::Duration timeout,
                                         const ProgressCallback& progress = nullptr);

  // The last known state of a transaction this manager sent; nullopt otherwise.
  std::optional<TxStatus> GetStatus(const Hash32& hash) const;
  // GetStatus after asking the chain whether a pending transaction's nonce was taken by another
  // transaction of the same key (then it is DROPPED: it can never be mined). It takes two looks
  // in a row that find the nonce used, no receipt and none of our versions known to the node.
  absl::StatusOr<std::optional<TxStatus>> Refresh(const Hash32& hash);

  // Compares the sender's lane with the node (latest and pending) and fills gaps (see above).
  absl::StatusOr<LaneState> Reconcile(const Address& sender);

  uint64_t chain_id() const { return chain_id_; }

 private:
  struct Lane {
    chainkms::Mutex mu;
    bool synced = false;
    uint64_t next = 0;
    std::shared_ptr<Signer> signer;
  };
  // All transactions sent for one (sender, nonce).
  struct Tracked {
    std::shared_ptr<Signer> signer;
    Transaction tx;  // the latest version sent
    std::vector<SentTx> versions;
    absl::Time last_sent;
    TxState state = TxState::kPending;
    std::optional<Hash32> mined_hash;
    std::optional<Receipt> receipt;
    uint64_t confirmations = 0;
    std::string reason;
    int taken_seen = 0;  // consecutive looks that found the nonce used by another transaction
  };

  Lane& LaneFor(const Address& sender, const std::shared_ptr<Signer>& signer);
  // `with_latest`: also read the latest count (for LaneState; Send needs only pending).
  absl::StatusOr<LaneState> ReconcileLocked(Lane& lane, const Address& sender,
                                            bool with_latest = true);
  // The node's pending count is below the lane: see the nonce policy above.
  absl::Status HandleVanished(Lane& lane, const Address& sender, LaneState& state);
  // Signs and sends `tx`; OK also when the node already knows it.
  absl::StatusOr<SentTx> SignAndSend(Signer& signer, const Transaction& tx);
  absl::StatusOr<uint64_t> Gas(const TxRequest& request);
  void Track(const std::shared_ptr<Signer>& signer, const Transaction& tx, const SentTx& sent);
  std::shared_ptr<Tracked> Find(const Hash32& hash) const;
  // Marks `t` DROPPED when its nonce is used on chain by a transaction that is not one of its
  // versions; true when it did.
  absl::StatusOr<bool> CheckTakenNonce(Tracked& t);
  void RecordState(TxState state) const;

  RpcCaller& rpc_;
  uint64_t chain_id_;
  Clock& clock_;
  TxManagerOptions options_;

  chainkms::Mutex lanes_mu_;
  std::map<Address, std::unique_ptr<Lane>> lanes_ ABSL_GUARDED_BY(lanes_mu_);

  mutable chainkms::Mutex tracked_mu_;
  std::map<Hash32, std::shared_ptr<Tracked>> by_hash_ ABSL_GUARDED_BY(tracked_mu_);
  std::map<std::pair<Address, uint64_t>, std::shared_ptr<Tracked>> by_nonce_
      ABSL_GUARDED_BY(tracked_mu_);
};

}  // namespace chainkms
