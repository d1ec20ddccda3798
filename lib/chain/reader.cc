#include "lib/chain/reader.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/address.h"

namespace chainkms {
namespace {

absl::Status NoContract(const Address& a, const PinnedBlock& b) {
  return absl::FailedPreconditionError(absl::StrCat("no contract at ", ToChecksumAddress(a),
                                                    " (block ", b.number, ")"));
}

// A sub-call that answered with nothing came from an address without code.
absl::StatusOr<bool> SubBool(const Call3Result& r, const Address& target, const PinnedBlock& b) {
  if (r.return_data.empty()) return NoContract(target, b);
  absl::StatusOr<bool> v = DecodeBoolResult(r.return_data);
  if (!v.ok()) return absl::UnavailableError(absl::StrCat("aggregate3: ", std::string(v.status().message())));
  return v;
}

}  // namespace

Hash32 Erc1967ImplementationSlot() {
  // 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc
  U256 h = *U256::FromBigEndian(Keccak256(AsBytes("eip1967.proxy.implementation")).view());
  return h.WrappingSub(U256(1)).ToBigEndian();
}

ChainReader::ChainReader(RpcCaller& rpc, ChainReaderConfig config)
    : rpc_(rpc), config_(config), multicall_(rpc, config.multicall) {}

absl::StatusOr<uint64_t> ChainReader::BlockNumber() { return eth_rpc::BlockNumber(rpc_); }

absl::StatusOr<PinnedBlock> ChainReader::LatestBlock() {
  absl::StatusOr<BlockHeader> h = eth_rpc::GetBlock(rpc_, BlockTag::Latest());
  if (absl::IsNotFound(h.status())) return absl::UnavailableError("the node has no latest block");
  if (!h.ok()) return h.status();
  return h->block;
}

CallRequest ChainReader::KmsCall(Bytes data) const {
  CallRequest c;
  c.to = config_.kms;
  c.data = std::move(data);
  return c;
}

absl::StatusOr<PinnedBlock> ChainReader::Pin(std::optional<PinnedBlock> at) {
  if (at) return *at;
  return LatestBlock();
}

absl::StatusOr<Prerequisites> ChainReader::CheckPrerequisites(const Address& app,
                                                              std::span<const Hash32> devices,
                                                              std::span<const Hash32> hashes,
                                                              std::optional<PinnedBlock> at) {
  if (devices.size() > kMaxItems) {
    return absl::InvalidArgumentError(absl::StrCat("devices: at most ", kMaxItems, " items"));
  }
  if (hashes.size() > kMaxItems) {
    return absl::InvalidArgumentError(absl::StrCat("compose_hashes: at most ", kMaxItems, " items"));
  }
  ASSIGN_OR_RETURN(PinnedBlock block, Pin(at));
  std::vector<Call3> calls;
  calls.reserve(1 + devices.size() + hashes.size());
  calls.push_back({app, false, dstack_app::AllowAnyDevice()});
  for (const Hash32& d : devices) calls.push_back({app, false, dstack_app::AllowedDeviceIds(d)});
  for (const Hash32& h : hashes) calls.push_back({app, false, dstack_app::AllowedComposeHashes(h)});
  ASSIGN_OR_RETURN(std::vector<Call3Result> results,
                   multicall_.Aggregate3(calls, BlockTag::Number(block.number)));
  Prerequisites p;
  p.block = block;
  for (const Call3Result& r : results) {
    // allowFailure=false: a failed sub-call reverts aggregate3; a false flag here is a
    // broken Multicall3, and deciding from it would not fail closed.
    if (!r.success) return absl::FailedPreconditionError("aggregate3: a sub-call failed");
  }
  ASSIGN_OR_RETURN(p.allow_any_device, SubBool(results[0], app, block));
  for (size_t i = 0; i < devices.size(); ++i) {
    ASSIGN_OR_RETURN(bool flag, SubBool(results[1 + i], app, block));
    p.device_allowed.push_back(p.allow_any_device || flag);
  }
  for (size_t i = 0; i < hashes.size(); ++i) {
    ASSIGN_OR_RETURN(bool flag, SubBool(results[1 + devices.size() + i], app, block));
    p.compose_hash_allowed.push_back(flag);
  }
  return p;
}

absl::StatusOr<AllowDecision> ChainReader::Allowed(Bytes calldata, std::optional<PinnedBlock> at) {
  ASSIGN_OR_RETURN(PinnedBlock block, Pin(at));
  ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(rpc_, KmsCall(std::move(calldata)),
                                            BlockTag::Number(block.number)));
  absl::StatusOr<AllowedAnswer> a = DecodeAllowedResult(ret);
  if (!a.ok()) {
    return absl::UnavailableError(
        absl::StrCat("DstackKms answered malformed data: ", std::string(a.status().message())));
  }
  return AllowDecision{a->allowed, a->allowed ? "" : a->reason, block};
}

absl::StatusOr<AllowDecision> ChainReader::IsAppAllowed(const AppBootInfo& info,
                                                        std::optional<PinnedBlock> at) {
  return Allowed(dstack_kms::IsAppAllowed(info), at);
}

absl::StatusOr<AllowDecision> ChainReader::IsKmsAllowed(const AppBootInfo& info,
                                                        std::optional<PinnedBlock> at) {
  return Allowed(dstack_kms::IsKmsAllowed(info), at);
}

absl::StatusOr<AppState> ChainReader::GetApp(const Address& app, std::optional<PinnedBlock> at) {
  ASSIGN_OR_RETURN(PinnedBlock block, Pin(at));
  BlockTag tag = BlockTag::Number(block.number);
  std::vector<Call3> calls = {
      {config_.kms, false, dstack_kms::RegisteredApps(app)},
      {app, false, ownable::Owner()},
      {app, false, dstack_app::AllowAnyDevice()},
      {app, true, ownable::PendingOwner()},
      {app, true, dstack_app::RequireTcbUpToDate()},
      {app, true, dstack_app::Version()},
  };
  ASSIGN_OR_RETURN(std::vector<Call3Result> r, multicall_.Aggregate3(calls, tag));
  for (size_t i = 0; i < 3; ++i) {
    if (!r[i].success) return absl::FailedPreconditionError("aggregate3: a sub-call failed");
    if (r[i].return_data.empty()) return NoContract(calls[i].target, block);
  }
  AppState s;
  s.app_id = app;
  s.block = block;
  auto malformed = [](const absl::Status& st) {
    return absl::UnavailableError(absl::StrCat("GetApp: ", std::string(st.message())));
  };
  absl::StatusOr<bool> registered = DecodeBoolResult(r[0].return_data);
  if (!registered.ok()) return malformed(registered.status());
  s.registered = *registered;
  absl::StatusOr<Address> owner = DecodeAddressResult(r[1].return_data);
  if (!owner.ok()) return malformed(owner.status());
  s.owner = *owner;
  absl::StatusOr<bool> any = DecodeBoolResult(r[2].return_data);
  if (!any.ok()) return malformed(any.status());
  s.allow_any_device = *any;
  // Optional getters: absent (failed or empty) on older implementations.
  if (r[3].success && !r[3].return_data.empty()) {
    absl::StatusOr<Address> p = DecodeAddressResult(r[3].return_data);
    if (!p.ok()) return malformed(p.status());
    s.pending_owner = *p;
  }
  if (r[4].success && !r[4].return_data.empty()) {
    absl::StatusOr<bool> t = DecodeBoolResult(r[4].return_data);
    if (!t.ok()) return malformed(t.status());
    s.require_tcb_up_to_date = *t;
  }
  if (r[5].success && !r[5].return_data.empty()) {
    absl::StatusOr<U256> v = DecodeUintResult(r[5].return_data);
    if (!v.ok()) return malformed(v.status());
    s.version = *v;
  }
  ASSIGN_OR_RETURN(Hash32 slot, eth_rpc::GetStorageAt(rpc_, app, Erc1967ImplementationSlot(), tag));
  for (size_t i = 0; i < 12; ++i) {
    if (slot[i] != 0) return absl::UnavailableError("ERC-1967 slot holds more than an address");
  }
  std::copy(slot.begin() + 12, slot.end(), s.implementation.begin());
  return s;
}

absl::StatusOr<KmsInfo> ChainReader::GetKmsInfo(std::optional<PinnedBlock> at) {
  ASSIGN_OR_RETURN(PinnedBlock block, Pin(at));
  ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(rpc_, KmsCall(dstack_kms::GetKmsInfo()),
                                            BlockTag::Number(block.number)));
  absl::StatusOr<KmsInfo> k = DecodeKmsInfoResult(ret);
  if (!k.ok()) return absl::UnavailableError(absl::StrCat("kmsInfo: ", std::string(k.status().message())));
  return k;
}

absl::StatusOr<std::optional<Receipt>> ChainReader::GetReceipt(const Hash32& tx_hash) {
  return eth_rpc::GetTransactionReceipt(rpc_, tx_hash);
}

absl::StatusOr<std::vector<LogEntry>> ChainReader::GetLogs(const LogFilter& filter) {
  return eth_rpc::GetLogs(rpc_, filter);
}

}  // namespace chainkms
