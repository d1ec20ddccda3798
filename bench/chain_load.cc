// Chain-layer load generator against a local anvil (loopback, bounded, stops by itself):
//  1. N transactions from one sender pipelined through TxManager vs the baseline of
//     send-and-wait-for-receipt one at a time (anvil mining a block every 250 ms, as a chain
//     does, so waiting for each receipt costs a block). Checks zero nonce gaps.
//  2. CheckPrerequisites latency for 1 and 50 items (one Multicall3 eth_call) vs the baseline of
//     1 and 50 sequential eth_calls, p50/p99 over a fixed number of rounds.
// Prints one JSON object; bench/report.py turns it into ratios.
//   chainkms_chain_load [--txs N] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "bench/load_util.h"
#include "lib/chain/contracts.h"
#include "lib/chain/eth_rpc.h"
#include "lib/chain/reader.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/hex.h"
#include "lib/crypto/hash.h"
#include "lib/jsonrpc/client.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/testing/anvil.h"
#include "lib/testing/devnet.h"

namespace chainkms {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

Hash32 NumberedHash(const char* tag, int i) { return Sha256(AsBytes(absl::StrCat(tag, i))); }

constexpr char kProgram[] = "chain_load";

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  return bench::Must(kProgram, std::move(v), what);
}

using bench::Percentile;

struct Env {
  std::unique_ptr<testutil::AnvilProcess> anvil;
  std::unique_ptr<JsonRpcClient> rpc;
  std::unique_ptr<TxManager> txm;
  std::shared_ptr<Signer> owner;
  testutil::Devnet net;
  Address app;
};

Env Setup() {
  Env env;
  env.anvil =
      Must(testutil::AnvilProcess::Start({.extra_args = {"--block-time", "0.25"}}), "start anvil");
  env.rpc = std::make_unique<JsonRpcClient>(
      std::make_shared<CurlTransport>(CurlTransport::Options{.url = env.anvil->url()}));
  env.txm = std::make_unique<TxManager>(*env.rpc, 31337, SystemClock::Get(),
                                        TxManagerOptions{.poll_interval = absl::Milliseconds(20)});
  auto key = Must(Secp256k1PrivateKey::FromBytes(*HexDecode(
                      "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")),
                  "key");
  env.owner = std::make_shared<LocalKeySigner>(std::move(key));
  env.net = Must(testutil::DeployDevnet(*env.rpc, *env.txm, env.owner, {}), "deploy devnet");
  AppPolicyInit init{.owner = env.owner->address(),
                     .device_id = NumberedHash("device", 0),
                     .compose_hash = NumberedHash("hash", 0)};
  Receipt r = Must(testutil::SendAndWait(*env.txm, env.owner, env.net.kms,
                                         dstack_kms::DeployAndRegisterApp(init)),
                   "deploy app");
  for (const auto& e : r.EventsFrom(env.net.kms)) {
    if (auto* d = std::get_if<AppDeployedViaFactory>(&e)) env.app = d->app_id;
  }
  return env;
}

nlohmann::json MeasureTransactions(Env& env, int n) {
  const uint64_t start_nonce = Must(
      eth_rpc::GetTransactionCount(*env.rpc, env.owner->address(), BlockTag::Latest()), "nonce");
  // Baseline: one at a time, each waiting for its receipt before the next is sent.
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    SentTx s = Must(env.txm->Send({.signer = env.owner,
                                   .to = env.app,
                                   .data = dstack_app::AddComposeHash(NumberedHash("seq", i)),
                                   .gas_limit = 100000}),
                    "send");
    Must(env.txm->WaitForReceipt(s.hash, 1, absl::Seconds(60)), "receipt");
  }
  const auto t1 = Clock::now();
  // Pipelined: send all, then wait for all.
  std::vector<Hash32> hashes;
  for (int i = 0; i < n; ++i) {
    hashes.push_back(
        Must(env.txm->Send({.signer = env.owner,
                            .to = env.app,
                            .data = dstack_app::AddComposeHash(NumberedHash("pipe", i)),
                            .gas_limit = 100000}),
             "send")
            .hash);
  }
  for (const auto& h : hashes) Must(env.txm->WaitForReceipt(h, 1, absl::Seconds(60)), "receipt");
  const auto t2 = Clock::now();
  const uint64_t end_nonce = Must(
      eth_rpc::GetTransactionCount(*env.rpc, env.owner->address(), BlockTag::Latest()), "nonce");
  const bool no_gaps = end_nonce == start_nonce + 2 * static_cast<uint64_t>(n);
  return {{"txs", n},
          {"sequential_s", Seconds(t0, t1)},
          {"pipelined_s", Seconds(t1, t2)},
          {"speedup", Seconds(t0, t1) / Seconds(t1, t2)},
          {"nonces_consecutive", no_gaps}};
}

nlohmann::json MeasurePrerequisites(Env& env, int items, int rounds) {
  ChainReader reader(*env.rpc, ChainReaderConfig{.kms = env.net.kms});
  std::vector<Hash32> devices, hashes;
  for (int i = 0; i < items; ++i) {
    // Half the items are devices, half compose hashes (1 item: one hash).
    if (items > 1 && i % 2 == 0) {
      devices.push_back(NumberedHash("device", i));
    } else {
      hashes.push_back(NumberedHash("hash", i));
    }
  }
  std::vector<double> ours, baseline;
  for (int r = 0; r < rounds; ++r) {
    const auto a = Clock::now();
    Must(reader.CheckPrerequisites(env.app, devices, hashes), "prerequisites");
    const auto b = Clock::now();
    // Baseline: the same answers, one eth_call per item at the latest block.
    for (const auto& d : devices) {
      Must(eth_rpc::Call(*env.rpc, {.to = env.app, .data = dstack_app::AllowedDeviceIds(d)},
                         BlockTag::Latest()),
           "eth_call");
    }
    for (const auto& h : hashes) {
      Must(eth_rpc::Call(*env.rpc, {.to = env.app, .data = dstack_app::AllowedComposeHashes(h)},
                         BlockTag::Latest()),
           "eth_call");
    }
    const auto c = Clock::now();
    ours.push_back(Seconds(a, b) * 1e3);
    baseline.push_back(Seconds(b, c) * 1e3);
  }
  return {{"items", items},
          {"ours_p50_ms", Percentile(ours, 0.5)},
          {"ours_p99_ms", Percentile(ours, 0.99)},
          {"baseline_p50_ms", Percentile(baseline, 0.5)},
          {"baseline_p99_ms", Percentile(baseline, 0.99)}};
}

}  // namespace
}  // namespace chainkms

int main(int argc, char** argv) {
  int txs = 40, rounds = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--txs") txs = std::atoi(argv[i + 1]);
    if (flag == "--rounds") rounds = std::atoi(argv[i + 1]);
  }
  if (txs < 1 || txs > 500 || rounds < 1 || rounds > 10000) {
    std::cerr << "chain_load: --txs 1..500, --rounds 1..10000\n";
    return 2;
  }
  auto env = chainkms::Setup();
  nlohmann::json out;
  out["transactions"] = chainkms::MeasureTransactions(env, txs);
  out["prerequisites"] = {chainkms::MeasurePrerequisites(env, 1, rounds),
                          chainkms::MeasurePrerequisites(env, 50, rounds)};
  std::cout << out.dump(2) << "\n";
  return out["transactions"]["nonces_consecutive"].get<bool>() ? 0 : 1;
}
