// ChainSet: the chains a service serves, each with its endpoints, reader and transaction
// manager, looked up by chain id. kms (reads) and registry (reads and writes) share it.
//
// A chain is configured by one spec `<chain id>=<rpc url>[,<rpc url>...];kms=<DstackKms address>`;
// several specs are separated by whitespace:
//
//   ASSIGN_OR_RETURN(std::vector<ChainConfig> configs, ParseChainSpecs(flag_value));
//   ChainSet chains;
//   for (const ChainConfig& c : configs) {
//     ASSIGN_OR_RETURN(std::unique_ptr<Chain> chain, ConnectChain(c, {}, clock));
//     chains.Add(std::move(chain));
//   }
//   ASSIGN_OR_RETURN(Chain * chain, chains.Find(req.chain_id()));  // UNKNOWN_CHAIN otherwise
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/chain/reader.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/bytes.h"
#include "lib/common/chain_metrics.h"
#include "lib/common/clock.h"
#include "lib/jsonrpc/rpc_caller.h"

namespace chainkms {

struct ChainConfig {
  uint64_t chain_id = 0;
  std::vector<std::string> rpc_urls;  // in order of preference; may hold credentials (never logged)
  Address kms = {};                   // the DstackKms proxy
};

// Parses one spec "31337=http://a,http://b;kms=0x…". INVALID_ARGUMENT naming what is wrong
// (never echoing URLs, which may carry API keys).
absl::StatusOr<ChainConfig> ParseChainSpec(std::string_view spec);

// Parses whitespace-separated specs; chain ids must be distinct and at least one is required.
absl::StatusOr<std::vector<ChainConfig>> ParseChainSpecs(std::string_view specs);

// One served chain. `rpc` is the failover client every read and write goes through.
struct Chain {
  uint64_t chain_id = 0;
  Address kms = {};
  std::unique_ptr<RpcCaller> rpc;
  std::unique_ptr<ChainReader> reader;
  std::unique_ptr<TxManager> txm;
};

struct ChainOptions {
  absl::Duration tx_poll_interval = absl::Seconds(1);
  // Per-endpoint RPC latency and errors (label = host), transactions by state. May be null.
  ChainMetrics* metrics = nullptr;
  // Ask every endpoint for eth_chainId before returning (false: the caller checks later, e.g. a
  // kms that starts NOT_SERVING and checks each chain until it answers).
  bool check_chain_id = true;
};

// Builds the FailoverClient over `config.rpc_urls`, checks every endpoint's chain id
// (FAILED_PRECONDITION on a mismatch, UNAVAILABLE when none answers) and makes the reader and
// transaction manager. `clock` must outlive the chain.
absl::StatusOr<std::unique_ptr<Chain>> ConnectChain(const ChainConfig& config,
                                                    const ChainOptions& options, Clock& clock);

// A Chain over any RpcCaller (tests pass a scripted one); failed calls carry metadata chain_id.
std::unique_ptr<Chain> MakeChain(uint64_t chain_id, const Address& kms,
                                 std::unique_ptr<RpcCaller> rpc, const ChainOptions& options,
                                 Clock& clock);

// Chains by id. Filled before serving, then read-only (safe to share across threads).
class ChainSet {
 public:
  void Add(std::unique_ptr<Chain> chain);
  // INVALID_ARGUMENT reason UNKNOWN_CHAIN (metadata chain_id) naming the served ids.
  absl::StatusOr<Chain*> Find(uint64_t chain_id) const;
  std::vector<uint64_t> ids() const;
  bool empty() const { return chains_.empty(); }

 private:
  std::map<uint64_t, std::unique_ptr<Chain>> chains_;
};

}  // namespace chainkms
