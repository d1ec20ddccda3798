#include "lib/chain/tx_manager.h"

#include <map>
#include <set>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/testing/fake_clock.h"
#include "lib/testing/scripted_rpc.h"

namespace chainkms {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testutil::ScriptedRpc;

std::shared_ptr<Signer> AnvilSigner() {
  Bytes k = *HexDecode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  return std::make_shared<LocalKeySigner>(*Secp256k1PrivateKey::FromBytes(k));
}

// A node that accepts a raw transaction only at its next nonce, like a mempool without queueing.
struct FakeNode {
  chainkms::Mutex mu;
  uint64_t nonce = 0;
  std::vector<SignedTransaction> accepted;
  std::vector<absl::Status> forced_send_errors;  // consumed first, one per send

  void Install(ScriptedRpc& rpc) {
    rpc.On("eth_estimateGas", [](const json&) -> absl::StatusOr<json> { return json("0x186a0"); });
    rpc.On("eth_feeHistory", [](const json&) -> absl::StatusOr<json> {
      return json{{"oldestBlock", "0x1"},
                  {"baseFeePerGas", {"0x64", "0x64", "0x64", "0x64"}},
                  {"reward", {{"0x1"}, {"0x3"}, {"0x2"}}}};
    });
    rpc.On("eth_getTransactionCount", [this](const json&) -> absl::StatusOr<json> {
      chainkms::MutexLock l(&mu);
      return json(U256(nonce).ToHexQuantity());
    });
    rpc.On("eth_getTransactionByHash",
           [](const json&) -> absl::StatusOr<json> { return json(nullptr); });
    rpc.On("eth_sendRawTransaction", [this](const json& p) -> absl::StatusOr<json> {
      Bytes raw = *HexDecode(p[0].get<std::string>());
      SignedTransaction st = *DecodeTransaction(raw);
      chainkms::MutexLock l(&mu);
      if (!forced_send_errors.empty()) {
        absl::Status s = forced_send_errors.front();
        forced_send_errors.erase(forced_send_errors.begin());
        return s;
      }
      if (st.tx.nonce < nonce) {
        return testutil::RpcErrorStatus(-32000, "nonce too low", "", "eth_sendRawTransaction");
      }
      if (st.tx.nonce > nonce) {
        return testutil::RpcErrorStatus(-32000, "nonce too high", "", "eth_sendRawTransaction");
      }
      ++nonce;
      accepted.push_back(st);
      return json(Hex0x(TransactionHash(raw).view()));
    });
  }
};

TxRequest Req(std::shared_ptr<Signer> s) {
  TxRequest r;
  r.signer = std::move(s);
  r.to = Address();
  r.data = {0x01};
  return r;
}

TEST(TxManagerTest, TwentyConcurrentSendsGetConsecutiveNonces) {
  ScriptedRpc rpc;
  FakeNode node;
  node.nonce = 7;
  node.Install(rpc);
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  auto signer = AnvilSigner();
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<SentTx>> results(20);
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] { results[i] = txm.Send(Req(signer)); });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> nonces;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    nonces.insert(r->nonce);
  }
  EXPECT_EQ(nonces.size(), 20u);
  EXPECT_EQ(*nonces.begin(), 7u);
  EXPECT_EQ(*nonces.rbegin(), 26u);
  EXPECT_EQ(node.accepted.size(), 20u);  // each accepted at the node's next nonce: no gaps
}

TEST(TxManagerTest, AFailedSendLeavesNoGap) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  node.forced_send_errors.push_back(testutil::RpcErrorStatus(
      -32000, "insufficient funds for gas * price + value", "", "eth_sendRawTransaction"));
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  auto signer = AnvilSigner();
  absl::StatusOr<SentTx> first = txm.Send(Req(signer));
  EXPECT_EQ(first.status().code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<SentTx> second = txm.Send(Req(signer));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->nonce, 0u);  // reused
}

TEST(TxManagerTest, ResyncsOnNonceTooLow) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  auto signer = AnvilSigner();
  ASSERT_TRUE(txm.Send(Req(signer)).ok());
  {
    chainkms::MutexLock l(&node.mu);
    node.nonce = 5;  // another process used nonces 1..4
  }
  absl::StatusOr<SentTx> s = txm.Send(Req(signer));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->nonce, 5u);
}

// The node forgot nonce 1 (a restart): the transaction is reported DROPPED, never re-sent (an
// old write must not run later behind the caller's back), and the lane re-syncs to the node.
TEST(TxManagerTest, ATransactionTheNodeForgotIsDroppedNotResentAndTheLaneResyncs) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  auto signer = AnvilSigner();
  ASSERT_TRUE(txm.Send(Req(signer)).ok());                   // nonce 0
  absl::StatusOr<SentTx> forgotten = txm.Send(Req(signer));  // nonce 1
  ASSERT_TRUE(forgotten.ok());
  {
    chainkms::MutexLock l(&node.mu);
    node.nonce = 1;  // the node dropped nonce 1 (restart)
  }
  absl::StatusOr<LaneState> s = txm.Reconcile(signer->address());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->pending, 1u);
  EXPECT_EQ(s->dropped, std::vector<uint64_t>{1});
  EXPECT_TRUE(s->filled.empty());
  EXPECT_EQ(s->next, 1u);
  EXPECT_EQ(node.accepted.size(), 2u);  // nothing re-broadcast
  std::optional<TxStatus> st = txm.GetStatus(forgotten->hash);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, TxState::kDropped);
  EXPECT_THAT(st->reason, HasSubstr("vanished"));
  EXPECT_EQ(txm.WaitForReceipt(forgotten->hash, 1, absl::Seconds(5)).status().code(),
            absl::StatusCode::kAborted);
  absl::StatusOr<SentTx> next = txm.Send(Req(signer));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->nonce, 1u);  // the freed nonce: no gap
}

// The probe's stuck lane: the node restarted with fresh state at nonce 6 while the lane was at
// 11. The next Send notices by itself (no Reconcile call), drops 6..10 and sends at 6.
TEST(TxManagerTest, ASendAfterTheNodeLostStateResyncsInsteadOfQueueingBehindAGap) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  auto signer = AnvilSigner();
  std::vector<Hash32> sent;
  for (int i = 0; i < 11; ++i) {
    TxRequest r = Req(signer);
    r.data = {0x01, static_cast<uint8_t>(i)};  // distinct writes
    absl::StatusOr<SentTx> tx = txm.Send(r);
    ASSERT_TRUE(tx.ok()) << tx.status();
    sent.push_back(tx->hash);
  }
  {
    chainkms::MutexLock l(&node.mu);
    node.nonce = 6;
  }
  absl::StatusOr<SentTx> next = txm.Send(Req(signer));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->nonce, 6u);
  for (int i = 6; i < 11; ++i) EXPECT_EQ(txm.GetStatus(sent[i])->state, TxState::kDropped) << i;
  EXPECT_EQ(txm.GetStatus(sent[5])->state, TxState::kPending);
}

// A node that keeps a future-nonce transaction queued: ours at nonce 2 waits behind the vanished
// nonce 1. It is overwritten at once by a no-op, so filling the gap never runs the old write.
TEST(TxManagerTest, AnOldTransactionQueuedBehindTheGapIsOverwrittenByANoOp) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  std::set<std::string> known;  // hashes the node holds
  std::vector<SignedTransaction> replacements;
  rpc.On("eth_getTransactionByHash", [&](const json& p) -> absl::StatusOr<json> {
    if (known.count(p[0].get<std::string>()) == 0) return json(nullptr);
    return json{{"hash", p[0]}};
  });
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  auto signer = AnvilSigner();
  ASSERT_TRUE(txm.Send(Req(signer)).ok());                // nonce 0, mined
  absl::StatusOr<SentTx> lost = txm.Send(Req(signer));    // nonce 1, vanishes
  absl::StatusOr<SentTx> queued = txm.Send(Req(signer));  // nonce 2, stays queued
  ASSERT_TRUE(lost.ok() && queued.ok());
  known.insert(Hex0x(queued->hash.view()));
  {
    chainkms::MutexLock l(&node.mu);
    node.nonce = 1;
  }
  // The node takes a replacement for its queued nonce 2 when it pays more.
  rpc.On("eth_sendRawTransaction", [&](const json& p) -> absl::StatusOr<json> {
    Bytes raw = *HexDecode(p[0].get<std::string>());
    SignedTransaction st = *DecodeTransaction(raw);
    if (st.tx.nonce == 2) {
      replacements.push_back(st);
      return json(Hex0x(TransactionHash(raw).view()));
    }
    chainkms::MutexLock l(&node.mu);
    if (st.tx.nonce != node.nonce) {
      return testutil::RpcErrorStatus(-32000, "nonce too low", "", "eth_sendRawTransaction");
    }
    ++node.nonce;
    node.accepted.push_back(st);
    return json(Hex0x(TransactionHash(raw).view()));
  });
  absl::StatusOr<LaneState> s = txm.Reconcile(signer->address());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->dropped, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(s->filled, std::vector<uint64_t>{2});
  ASSERT_EQ(replacements.size(), 1u);
  const Transaction& noop = replacements[0].tx;
  EXPECT_EQ(noop.to, signer->address());
  EXPECT_TRUE(noop.data.empty());
  EXPECT_TRUE(noop.value.IsZero());
  EXPECT_GT(noop.max_fee_per_gas, queued->fees.max_fee_per_gas);  // pays more: it replaces
  EXPECT_EQ(txm.GetStatus(queued->hash)->state, TxState::kDropped);
  EXPECT_THAT(txm.GetStatus(queued->hash)->reason, HasSubstr("no-op"));
  EXPECT_EQ(txm.GetStatus(lost->hash)->state, TxState::kDropped);
  absl::StatusOr<SentTx> next = txm.Send(Req(signer));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->nonce, 1u);
}

TEST(TxManagerTest, RevertAtEstimateSendsNothingAndKeepsTheNonce) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  rpc.On("eth_estimateGas", [](const json&) -> absl::StatusOr<json> {
    // cast calldata 'Error(string)' 'Compose hash not allowed'
    return testutil::RpcErrorStatus(3, "execution reverted: Compose hash not allowed",
                                    "0x08c379a00000000000000000000000000000000000000000000000000000"
                                    "000000000020000000000000000000"
                                    "0000000000000000000000000000000000000000000018436f6d706f736520"
                                    "68617368206e6f7420616c6c6f7765"
                                    "640000000000000000",
                                    "eth_estimateGas");
  });
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  auto signer = AnvilSigner();
  absl::StatusOr<SentTx> s = txm.Send(Req(signer));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.status().message(),
              HasSubstr("execution reverted: reverted: Compose hash not allowed"));
  EXPECT_EQ(rpc.Count("eth_sendRawTransaction"), 0);
  node.Install(rpc);
  absl::StatusOr<SentTx> ok = txm.Send(Req(signer));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->nonce, 0u);
}

TEST(TxManagerTest, GasIsEstimatePlusTwentyPercentAndFeesFollowFeeHistory) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  absl::StatusOr<SentTx> s = txm.Send(Req(AnvilSigner()));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->gas_limit, 120000u);  // 100000 × 1.2
  // Median of rewards {1,3,2} = 2; maxFee = 2 × 100 + 2.
  EXPECT_EQ(s->fees, (TxFees{U256(202), U256(2)}));
  EXPECT_EQ(rpc.Params("eth_estimateGas")[0][0]["from"],
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
}

TEST(TxManagerTest, FeesFallBackToMaxPriorityFeePerGas) {
  ScriptedRpc rpc;
  rpc.On("eth_feeHistory", [](const json&) -> absl::StatusOr<json> {
    return testutil::RpcErrorStatus(-32601, "method not found", "", "eth_feeHistory");
  });
  rpc.On("eth_maxPriorityFeePerGas",
         [](const json&) -> absl::StatusOr<json> { return json("0x0"); });
  rpc.On("eth_getBlockByNumber", [](const json&) -> absl::StatusOr<json> {
    return json{{"number", "0x5"}, {"hash", Hex0x(Hash32().view())}, {"baseFeePerGas", "0xa"}};
  });
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  absl::StatusOr<TxFees> f = txm.SuggestFees();
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(*f, (TxFees{U256(21), U256(1)}));  // priority floored at 1 wei
}

TEST(TxManagerTest, BumpIsAtLeastTenPercentAndOneWei) {
  TxFees b = BumpFees({U256(1000), U256(1)});
  EXPECT_EQ(b.max_fee_per_gas, U256(1125));
  EXPECT_EQ(b.max_priority_fee_per_gas, U256(2));
  EXPECT_GE(b.max_fee_per_gas, *U256(1000).CheckedMul(U256(11))->CheckedDiv(U256(10)));
}

// Receipts on a fake chain whose block hashes the test controls.
struct FakeChain {
  chainkms::Mutex mu;
  uint64_t head = 10;
  std::map<uint64_t, Hash32> hashes;
  std::map<Hash32, std::pair<uint64_t, Hash32>> mined;  // tx → (block, block hash)

  void Install(ScriptedRpc& rpc) {
    rpc.On("eth_blockNumber", [this](const json&) -> absl::StatusOr<json> {
      chainkms::MutexLock l(&mu);
      return json(U256(head).ToHexQuantity());
    });
    rpc.On("eth_getBlockByNumber", [this](const json& p) -> absl::StatusOr<json> {
      chainkms::MutexLock l(&mu);
      uint64_t n = *U256::FromHex(p[0].get<std::string>())->ToU64();
      Hash32 h = hashes.count(n) ? hashes[n] : Hash32();
      return json{{"number", p[0]}, {"hash", Hex0x(h.view())}};
    });
    rpc.On("eth_getTransactionReceipt", [this](const json& p) -> absl::StatusOr<json> {
      chainkms::MutexLock l(&mu);
      Hash32 tx = *ParseHash32(p[0].get<std::string>());
      auto it = mined.find(tx);
      if (it == mined.end()) return json(nullptr);
      return json{{"transactionHash", p[0]},
                  {"blockHash", Hex0x(it->second.second.view())},
                  {"blockNumber", U256(it->second.first).ToHexQuantity()},
                  {"from", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"},
                  {"to", "0x0000000000000000000000000000000000000000"},
                  {"status", "0x1"},
                  {"gasUsed", "0x5208"},
                  {"effectiveGasPrice", "0x65"},
                  {"logs", json::array()}};
    });
  }
};

Hash32 Fill(uint8_t b) {
  Hash32 h;
  h.bytes.fill(b);
  return h;
}

TEST(TxManagerTest, ReportsAReorgAndWaitsForTheReceiptAgain) {
  ScriptedRpc rpc;
  FakeChain chain;
  chain.Install(rpc);
  Hash32 tx = Fill(0x77);
  chain.hashes[10] = Fill(0xa0);
  chain.mined[tx] = {10, Fill(0xa0)};
  testutil::FakeClock clock;
  TxManagerOptions opts;
  opts.poll_interval = absl::Seconds(1);
  TxManager txm(rpc, 31337, clock, opts);
  std::vector<TxProgress::Kind> kinds;
  int polls = 0;
  absl::StatusOr<Receipt> r = txm.WaitForReceipt(tx, 3, absl::Minutes(1), [&](const TxProgress& p) {
    kinds.push_back(p.kind);
    chainkms::MutexLock l(&chain.mu);
    if (p.kind == TxProgress::Kind::kConfirmation && polls++ == 0) {
      // Block 10 is replaced; the transaction lands in the new block 11.
      chain.hashes[10] = Fill(0xb0);
      chain.hashes[11] = Fill(0xb1);
      chain.mined[tx] = {10, Fill(0xa0)};  // a stale receipt first
      chain.head = 11;
    } else if (p.kind == TxProgress::Kind::kReorged) {
      chain.mined[tx] = {11, Fill(0xb1)};
      chain.head = 13;
    }
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->block_number, 11u);
  EXPECT_EQ(r->block_hash, Fill(0xb1));
  EXPECT_THAT(kinds, ::testing::Contains(TxProgress::Kind::kReorged));
  EXPECT_EQ(kinds.back(), TxProgress::Kind::kConfirmation);
}

TEST(TxManagerTest, TimesOutWithDeadlineExceeded) {
  ScriptedRpc rpc;
  FakeChain chain;
  chain.Install(rpc);
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  absl::StatusOr<Receipt> r = txm.WaitForReceipt(Fill(1), 1, absl::Seconds(5));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(TxManagerTest, ReplacesAStuckTransactionAndTheMinedOneWins) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  FakeChain chain;
  chain.Install(rpc);
  // Replacement accepted at the same nonce (the fake node's nonce check is for new sends).
  std::vector<SignedTransaction> sent;
  rpc.On("eth_sendRawTransaction", [&](const json& p) -> absl::StatusOr<json> {
    Bytes raw = *HexDecode(p[0].get<std::string>());
    sent.push_back(*DecodeTransaction(raw));
    Hash32 h = TransactionHash(raw);
    if (sent.size() == 2) {
      chainkms::MutexLock l(&chain.mu);
      chain.hashes[10] = Fill(0xa0);
      chain.mined[h] = {10, Fill(0xa0)};
    }
    return json(Hex0x(h.view()));
  });
  testutil::FakeClock clock;
  TxManagerOptions opts;
  opts.poll_interval = absl::Seconds(10);
  opts.stuck_after = absl::Seconds(30);
  TxManager txm(rpc, 31337, clock, opts);
  absl::StatusOr<SentTx> s = txm.Send(Req(AnvilSigner()));
  ASSERT_TRUE(s.ok());
  std::vector<TxProgress::Kind> kinds;
  absl::StatusOr<Receipt> r = txm.WaitForReceipt(
      s->hash, 1, absl::Minutes(5), [&](const TxProgress& p) { kinds.push_back(p.kind); });
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].tx.nonce, sent[0].tx.nonce);
  EXPECT_GE(sent[1].tx.max_fee_per_gas,
            *sent[0].tx.max_fee_per_gas.CheckedMul(U256(11))->CheckedDiv(U256(10)));
  EXPECT_GT(sent[1].tx.max_priority_fee_per_gas, sent[0].tx.max_priority_fee_per_gas);
  EXPECT_THAT(kinds, ::testing::Contains(TxProgress::Kind::kReplaced));
  std::optional<TxStatus> old = txm.GetStatus(s->hash);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->state, TxState::kReplaced);
  EXPECT_EQ(old->replaced_by, r->transaction_hash);
  std::optional<TxStatus> winner = txm.GetStatus(r->transaction_hash);
  ASSERT_TRUE(winner);
  EXPECT_EQ(winner->state, TxState::kConfirmed);
  EXPECT_EQ(winner->confirmations, 1u);
}

TEST(TxManagerTest, SpeedUpOfAnUnknownHashIsNotFound) {
  ScriptedRpc rpc;
  testutil::FakeClock clock;
  TxManager txm(rpc, 31337, clock);
  EXPECT_EQ(txm.SpeedUp(Fill(3)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(txm.GetStatus(Fill(3)).has_value());
}

// Counts what TxManager reports to /metrics.
class RecordingMetrics final : public ChainMetrics {
 public:
  void RecordChainRpc(std::string_view, std::string_view, absl::Duration,
                      std::string_view) override {}
  void RecordTransactionState(std::string_view state) override {
    chainkms::MutexLock l(&mu_);
    ++states_[std::string(state)];
  }
  int count(const std::string& state) {
    chainkms::MutexLock l(&mu_);
    return states_[state];
  }

 private:
  chainkms::Mutex mu_;
  std::map<std::string, int> states_;
};

// Another transaction of the same key took our nonce: ours can never be mined, so it is
// DROPPED (and counted), and waiting for it ends at once instead of running into the timeout.
TEST(TxManagerTest, APendingTransactionWhoseNonceWasTakenByAnotherIsDropped) {
  ScriptedRpc rpc;
  FakeNode node;
  node.Install(rpc);
  rpc.On("eth_getTransactionReceipt",
         [](const json&) -> absl::StatusOr<json> { return json(nullptr); });
  testutil::FakeClock clock;
  RecordingMetrics metrics;
  TxManager txm(rpc, 31337, clock, {.metrics = &metrics});
  auto signer = AnvilSigner();
  absl::StatusOr<SentTx> sent = txm.Send(Req(signer));
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(metrics.count("pending"), 1);
  // FakeNode's count moved past our nonce when it accepted ours; nobody mined ours, and no
  // receipt exists: the nonce went to another transaction.
  absl::StatusOr<Receipt> r = txm.WaitForReceipt(sent->hash, 1, absl::Minutes(5));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(r.status().message(), HasSubstr("used by another transaction"));
  EXPECT_EQ(txm.GetStatus(sent->hash)->state, TxState::kDropped);
  EXPECT_EQ(metrics.count("dropped"), 1);
  absl::StatusOr<std::optional<TxStatus>> refreshed = txm.Refresh(sent->hash);
  ASSERT_TRUE(refreshed.ok());
  EXPECT_EQ((*refreshed)->state, TxState::kDropped);
}

}  // namespace
}  // namespace chainkms
