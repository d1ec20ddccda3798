// ChainReader: the reads that decide something (may this app boot? is this hash allowed?), each
// pinned to one block and returning the block it read, plus receipts and logs decoded into
// typed events. kms and registry both use it; it never signs.
//
//   ChainReader reader(rpc, {.kms = kms_address});
//   ASSIGN_OR_RETURN(Prerequisites p, reader.CheckPrerequisites(app, {device}, {compose_hash}));
//   if (!p.device_allowed[0] || !p.compose_hash_allowed[0]) return Deny(p.block);
//   ASSIGN_OR_RETURN(AllowDecision d, reader.IsAppAllowed(boot_info, p.block));
//
// Errors (fail closed): chain trouble is UNAVAILABLE; a reverted read is FAILED_PRECONDITION
// with the decoded reason; an address without code is FAILED_PRECONDITION "no contract at …".
// A decision is never made from a partial answer.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/chain/contracts.h"
#include "lib/chain/eth_rpc.h"
#include "lib/chain/multicall.h"
#include "lib/jsonrpc/rpc_caller.h"

namespace chainkms {

struct ChainReaderConfig {
  Address kms = {};  // the DstackKms proxy
  Address multicall = CanonicalMulticall3Address();
};

// Answers of CheckPrerequisites, index-aligned with the inputs.
struct Prerequisites {
  PinnedBlock block;
  bool allow_any_device = false;
  std::vector<bool> device_allowed;        // allowAnyDevice() || allowedDeviceIds(d)
  std::vector<bool> compose_hash_allowed;  // allowedComposeHashes(h)
};

// isAppAllowed / isKmsAllowed as the contract answered it.
struct AllowDecision {
  bool allowed = false;
  std::string reason;  // the contract's reason, "" when allowed
  PinnedBlock block;
};

// A DstackApp's ownership and policy flags, read at one block.
struct AppState {
  Address app_id;
  PinnedBlock block;
  bool registered = false;  // DstackKms.registeredApps(app)
  Address owner;
  std::optional<Address> pending_owner;     // nullopt when the contract has no pendingOwner()
  bool allow_any_device = false;
  std::optional<bool> require_tcb_up_to_date;  // nullopt on contracts without it (version 1)
  std::optional<U256> version;
  Address implementation;  // the ERC-1967 implementation slot
};

// keccak256("eip1967.proxy.implementation") - 1.
Hash32 Erc1967ImplementationSlot();

class ChainReader {
 public:
  // The most items CheckPrerequisites takes per list (the call must stay one eth_call).
  static constexpr size_t kMaxItems = 500;

  ChainReader(RpcCaller& rpc, ChainReaderConfig config);

  absl::StatusOr<uint64_t> BlockNumber();
  // The head: number and hash, to pin a series of reads to.
  absl::StatusOr<PinnedBlock> LatestBlock();

  // allowAnyDevice, allowedDeviceIds(d) for each device and allowedComposeHashes(h) for each
  // hash of `app`, in exactly one eth_call (Multicall3 aggregate3, allowFailure=false) at `at`
  // (default: the head, read first). INVALID_ARGUMENT "devices"/"compose_hashes" above kMaxItems.
  absl::StatusOr<Prerequisites> CheckPrerequisites(const Address& app,
                                                   std::span<const Hash32> devices,
                                                   std::span<const Hash32> compose_hashes,
                                                   std::optional<PinnedBlock> at = std::nullopt);

  // DstackKms.isAppAllowed(boot_info) at `at` (default: the head).
  absl::StatusOr<AllowDecision> IsAppAllowed(const AppBootInfo& boot_info,
                                             std::optional<PinnedBlock> at = std::nullopt);
  // DstackKms.isKmsAllowed(boot_info) at `at` (default: the head).
  absl::StatusOr<AllowDecision> IsKmsAllowed(const AppBootInfo& boot_info,
                                             std::optional<PinnedBlock> at = std::nullopt);

  // Ownership, flags, version and implementation of `app`: one aggregate3 plus one
  // eth_getStorageAt, both at the same block.
  absl::StatusOr<AppState> GetApp(const Address& app, std::optional<PinnedBlock> at = std::nullopt);

  // DstackKms.kmsInfo().
  absl::StatusOr<KmsInfo> GetKmsInfo(std::optional<PinnedBlock> at = std::nullopt);

  // nullopt while not mined.
  absl::StatusOr<std::optional<Receipt>> GetReceipt(const Hash32& tx_hash);
  absl::StatusOr<std::vector<LogEntry>> GetLogs(const LogFilter& filter);

  const ChainReaderConfig& config() const { return config_; }

 private:
  absl::StatusOr<PinnedBlock> Pin(std::optional<PinnedBlock> at);
  CallRequest KmsCall(Bytes data) const;
  absl::StatusOr<AllowDecision> Allowed(Bytes calldata, std::optional<PinnedBlock> at);

  RpcCaller& rpc_;
  ChainReaderConfig config_;
  Multicall3 multicall_;
};

}  // namespace chainkms
