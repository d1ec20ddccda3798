// AnvilProcess: a throwaway local Ethereum node (Foundry's anvil, from npm) on a free loopback
// port, for integration tests and the local stack. It is always stopped: by Stop() or when the
// object is destroyed.
//
//   ASSIGN_OR_RETURN(auto anvil, AnvilProcess::Start({}));
//   CurlTransport t({.url = anvil->url()});
//   anvil->Rpc("evm_mine", nlohmann::json::array());
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chainkms::testutil {

class AnvilProcess {
 public:
  struct Options {
    uint64_t chain_id = 31337;
    // 0: mine each transaction at once; otherwise a block every `block_time_seconds`.
    int block_time_seconds = 0;
    // Empty: $CHAINKMS_ANVIL, else the npm package's binary under the source tree.
    std::string binary;
    std::vector<std::string> extra_args;
    absl::Duration startup_timeout = absl::Seconds(20);
  };

  // Starts anvil and waits until it answers eth_chainId. UNAVAILABLE with anvil's last output
  // when it does not come up.
  static absl::StatusOr<std::unique_ptr<AnvilProcess>> Start(Options options);
  ~AnvilProcess();
  AnvilProcess(const AnvilProcess&) = delete;
  AnvilProcess& operator=(const AnvilProcess&) = delete;

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  uint64_t chain_id() const { return chain_id_; }
  // One JSON-RPC call over a fresh connection (for test set-up: anvil_setBalance, evm_snapshot,
  // evm_revert, evm_mine, anvil_setCode, ...). Errors carry the node's message.
  absl::StatusOr<nlohmann::json> Rpc(const std::string& method, nlohmann::json params) const;
  void Stop();

  // The binary Start() uses when Options::binary is empty.
  static std::string DefaultBinary();

 private:
  AnvilProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  uint64_t chain_id_ = 0;
  std::string url_;
  std::string log_path_;
};

// A port that was free on 127.0.0.1 a moment ago.
absl::StatusOr<int> PickFreeLoopbackPort();

}  // namespace chainkms::testutil
