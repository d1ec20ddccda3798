// ChainReader: the reads that decide something (may this app boot? is this hash allowed?), each
// answered from one block in ONE round trip and returning the block it read, plus receipts and
// logs decoded into typed events. kms and registry both use it; it never signs.
//
// One round trip per decision: every read is one JSON-RPC request — a Multicall3 aggregate3
// whose last sub-call is getBlockNumber(), batched with eth_getBlockByNumber("latest") when no
// block is given, so the answer names its block (number and hash) without a separate head
// read. With `at` set the call runs at that block number (its tag) and the PinnedBlock is `at`;
// an `at` with a zero hash pins by number alone, and that block's header rides in the batch to
// name its hash.
// Should a block arrive between the two halves of the batch, the read is repeated (twice at
// most, then the hash is left zero: the number still names the state that answered).
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
#include <utility>
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
  // The chain the reader must be reading; when set, every aggregate3 read (prerequisites, app
  // state, key-release and allow-list decisions) also asks Multicall3.getChainId() inside its
  // eth_call, and an answer from another chain is UNAVAILABLE, so no endpoint pointed at another
  // network can decide anything.
  uint64_t chain_id = 0;
};

// Answers of CheckPrerequisites, index-aligned with the inputs.
struct Prerequisites {
  PinnedBlock block;
  bool allow_any_device = false;
  std::vector<bool> device_allowed;        // allowAnyDevice() || allowedDeviceIds(d)
  std::vector<bool> device_listed;         // allowedDeviceIds(d)
  std::vector<bool> compose_hash_allowed;  // allowedComposeHashes(h)
};

// DstackKms's configuration, read at one block.
struct KmsState {
  PinnedBlock block;
  KmsInfo info;
  Address owner;
  std::optional<Address> pending_owner;  // nullopt when zero or the contract has none
  Address app_implementation;
  std::string gateway_app_id;
};

// DstackKms allowlists, index-aligned with the inputs.
struct KmsAllowlists {
  PinnedBlock block;
  std::vector<bool> os_image_allowed;
  std::vector<bool> aggregated_mr_allowed;
  std::vector<bool> device_allowed;
};

// isAppAllowed / isKmsAllowed as the contract answered it.
struct AllowDecision {
  bool allowed = false;
  std::string reason;  // the contract's reason, "" when allowed
  PinnedBlock block;
};

// What the KMS decides a key release on: isAppAllowed and gatewayAppId at one block.
struct KeyReleaseDecision {
  AllowDecision decision;
  std::string gateway_app_id;
};

// A DstackApp's ownership and policy flags, read at one block.
struct AppState {
  Address app_id;
  PinnedBlock block;
  bool registered = false;  // DstackKms.registeredApps(app)
  Address owner;
  std::optional<Address> pending_owner;  // nullopt when the contract has no pendingOwner()
  bool allow_any_device = false;
  std::optional<bool> require_tcb_up_to_date;  // nullopt on contracts without it (version 1)
  std::optional<U256> version;
  std::optional<bool> upgrades_disabled;  // nullopt on contracts without the getter
  Address implementation;                 // the ERC-1967 implementation slot
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
  // (default: latest). INVALID_ARGUMENT "devices"/"compose_hashes" above kMaxItems.
  absl::StatusOr<Prerequisites> CheckPrerequisites(const Address& app,
                                                   std::span<const Hash32> devices,
                                                   std::span<const Hash32> compose_hashes,
                                                   std::optional<PinnedBlock> at = std::nullopt);

  // DstackKms.isAppAllowed(boot_info) at `at` (default: the head).
  absl::StatusOr<AllowDecision> IsAppAllowed(const AppBootInfo& boot_info,
                                             std::optional<PinnedBlock> at = std::nullopt);
  // DstackKms.isAppAllowed(boot_info) and gatewayAppId() in ONE eth_call (one aggregate3) at
  // `at` (default: the head), chain-proven like every read. An app contract that reverts reverts
  // the aggregate3: an error, never a decision.
  absl::StatusOr<KeyReleaseDecision> DecideKeyRelease(const AppBootInfo& boot_info,
                                                      std::optional<PinnedBlock> at = std::nullopt);
  // DstackKms.isKmsAllowed(boot_info) at `at` (default: the head).
  absl::StatusOr<AllowDecision> IsKmsAllowed(const AppBootInfo& boot_info,
                                             std::optional<PinnedBlock> at = std::nullopt);

  // Ownership, flags, version and implementation of `app`: one aggregate3 and the ERC-1967 slot
  // read, sent as one JSON-RPC batch at the same block tag (one round trip).
  absl::StatusOr<AppState> GetApp(const Address& app, std::optional<PinnedBlock> at = std::nullopt);

  // DstackKms.kmsInfo().
  absl::StatusOr<KmsInfo> GetKmsInfo(std::optional<PinnedBlock> at = std::nullopt);
  // kmsInfo, owner, pendingOwner, appImplementation and gatewayAppId in one aggregate3.
  absl::StatusOr<KmsState> GetKmsState(std::optional<PinnedBlock> at = std::nullopt);
  // allowedOsImages / kmsAllowedAggregatedMrs / kmsAllowedDeviceIds for each entry, in one
  // aggregate3. INVALID_ARGUMENT above kMaxItems entries in all.
  absl::StatusOr<KmsAllowlists> CheckKmsAllowlists(std::span<const Hash32> os_images,
                                                   std::span<const Hash32> aggregated_mrs,
                                                   std::span<const Hash32> devices,
                                                   std::optional<PinnedBlock> at = std::nullopt);

  // nullopt while not mined.
  absl::StatusOr<std::optional<Receipt>> GetReceipt(const Hash32& tx_hash);
  absl::StatusOr<std::vector<LogEntry>> GetLogs(const LogFilter& filter);

  const ChainReaderConfig& config() const { return config_; }

 private:
  // `calls` + getBlockNumber() in one aggregate3 at `at` (latest when unset, with the head's
  // header in the same JSON-RPC batch), optionally with a storage slot: the results of `calls`
  // and the block that answered, in one round trip.
  struct Batch {
    std::vector<Call3Result> results;
    PinnedBlock block;
    std::optional<Hash32> slot_value;
  };
  absl::StatusOr<Batch> ReadBatch(std::span<const Call3> calls, std::optional<PinnedBlock> at,
                                  std::optional<std::pair<Address, Hash32>> slot = std::nullopt);
  absl::StatusOr<AllowDecision> Allowed(Bytes calldata, std::optional<PinnedBlock> at);

  RpcCaller& rpc_;
  ChainReaderConfig config_;
  Multicall3 multicall_;
};

}  // namespace chainkms
