// The CLI's own chain access: the app owner's key signs locally and transactions go straight to
// --rpc-url (ETH_RPC_URL); the key never leaves the process. Reads use lib/chain's ChainReader
// (one eth_call per decision), writes lib/chain's TxManager (EIP-1559 fees, gas estimated with
// reverts decoded before anything is sent), receipts awaited with progress on stderr.
//
//   ASSIGN_OR_RETURN(auto chain, OnChain::Connect(rpc_url, /*expected=*/31337, kms, std::cerr));
//   ASSIGN_OR_RETURN(auto signer, LoadPrivateKey(flags));
//   ASSIGN_OR_RETURN(Receipt r, chain->Send(signer, app, dstack_app::AddComposeHash(h),
//                                           "addComposeHash"));
//
// Errors are one line with a hint: a --rpc-url on another chain ("Network mismatch"), a signer
// that is not the app's owner, an account without the ETH to pay, a reverted transaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/chainkms/flags.h"
#include "lib/chain/reader.h"
#include "lib/chain/signer.h"
#include "lib/chain/tx_manager.h"
#include "lib/common/sync.h"
#include "lib/jsonrpc/client.h"

namespace chainkms::cli {

// --private-key, else PRIVATE_KEY: 0x + 64 hex (or 64 hex). FAILED_PRECONDITION with a hint when
// neither is set; INVALID_ARGUMENT (never echoing the value) when malformed.
absl::StatusOr<std::shared_ptr<Signer>> LoadPrivateKey(const Flags& flags);

// "Base (ID: 8453)", "Ethereum (ID: 1)", "anvil (ID: 31337)", "chain 5 (ID: 5)".
std::string ChainLabel(uint64_t chain_id);
// The block explorer's base URL ("https://basescan.org"), "" for chains without one.
std::string ExplorerUrl(uint64_t chain_id);

class OnChain {
 public:
  // Checks eth_chainId against `expected_chain_id` (the KMS's chain).
  static absl::StatusOr<std::unique_ptr<OnChain>> Connect(const std::string& rpc_url,
                                                          uint64_t expected_chain_id,
                                                          const Address& kms,
                                                          std::ostream& progress);

  ChainReader& reader() { return *reader_; }
  uint64_t chain_id() const { return chain_id_; }

  // Estimates, signs, sends and waits for the receipt (1 confirmation); a reverted receipt is an
  // error. `what` names the call in progress lines and errors ("addComposeHash").
  absl::StatusOr<Receipt> Send(const std::shared_ptr<Signer>& signer, const Address& to, Bytes data,
                               const std::string& what,
                               std::optional<Address> owned_app = std::nullopt);

  // JSON-RPC round trips so far (a batch counts once).
  int round_trips() const { return counter_->round_trips(); }
  std::vector<std::string> calls() const { return counter_->calls(); }

 private:
  class Counter final : public RpcCaller {
   public:
    explicit Counter(std::unique_ptr<JsonRpcClient> inner) : inner_(std::move(inner)) {}
    absl::StatusOr<nlohmann::json> Call(std::string_view method, nlohmann::json params) override {
      Note(std::string(method));
      return inner_->Call(method, std::move(params));
    }
    absl::StatusOr<std::vector<absl::StatusOr<nlohmann::json>>> Batch(
        std::vector<Request> requests) override {
      std::string names = "[";
      for (const Request& r : requests) names += (names.size() > 1 ? "+" : "") + r.method;
      Note(names + "]");
      return inner_->Batch(std::move(requests));
    }
    int round_trips() const { return round_trips_; }
    // The methods called, in order ("[a+b]" for a batch).
    std::vector<std::string> calls() const {
      chainkms::MutexLock l(&mu_);
      return calls_;
    }

   private:
    void Note(std::string call) {
      ++round_trips_;
      chainkms::MutexLock l(&mu_);
      calls_.push_back(std::move(call));
    }
    std::unique_ptr<JsonRpcClient> inner_;
    std::atomic<int> round_trips_{0};
    mutable chainkms::Mutex mu_;
    std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  };

  OnChain(std::unique_ptr<Counter> counter, uint64_t chain_id, const Address& kms,
          std::ostream& progress);
  absl::Status Explain(const absl::Status& status, const Address& from, const Address& to,
                       const std::string& what, std::optional<Address> owned_app);

  std::unique_ptr<Counter> counter_;
  uint64_t chain_id_;
  std::unique_ptr<ChainReader> reader_;
  std::unique_ptr<TxManager> txm_;
  std::ostream& progress_;
};

}  // namespace chainkms::cli
