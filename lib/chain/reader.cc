#include "lib/chain/reader.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/address.h"

namespace chainkms {
namespace {

absl::Status NoContract(const Address& a, const PinnedBlock& b) {
  return WithReason(absl::NotFoundError(absl::StrCat("no contract at ", ToChecksumAddress(a),
                                                     " (block ", b.number, ")")),
                    Reason::kAppNotFound, {{"app_id", ToChecksumAddress(a)}});
}

// A sub-call that answered with nothing came from an address without code.
absl::StatusOr<bool> SubBool(const Call3Result& r, const Address& target, const PinnedBlock& b) {
  if (r.return_data.empty()) return NoContract(target, b);
  absl::StatusOr<bool> v = DecodeBoolResult(r.return_data);
  if (!v.ok())
    return absl::UnavailableError(absl::StrCat("aggregate3: ", std::string(v.status().message())));
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

absl::StatusOr<ChainReader::Batch> ChainReader::ReadBatch(
    std::span<const Call3> calls, std::optional<PinnedBlock> at,
    std::optional<std::pair<Address, Hash32>> slot) {
  // Multicall3.getChainId() rides in every aggregate3 when the chain is known: the answer proves
  // which chain it came from, so an endpoint on another network never decides anything.
  std::vector<Call3> all(calls.begin(), calls.end());
  const bool prove_chain = config_.chain_id != 0;
  if (prove_chain) all.push_back({config_.multicall, false, Bytes{0x34, 0x08, 0xe4, 0x70}});
  // Pinned by number alone (zero hash): the header at that number rides in the batch.
  const bool by_number = at.has_value() && at->hash == Hash32{};
  eth_rpc::BatchReadRequest req{.call = multicall_.Aggregate3WithBlockNumberRequest(all),
                                .tag = at ? BlockTag::Number(at->number) : BlockTag::Latest(),
                                .slot = slot,
                                .with_header = !at.has_value() || by_number};
  // At "latest" the header rides in the same batch; the two answer from one block unless a
  // block arrives between them, which the block number inside the aggregate3 reveals.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(eth_rpc::BatchReadResult r, eth_rpc::BatchRead(rpc_, req));
    ASSIGN_OR_RETURN(Multicall3::AtBlock answer,
                     Multicall3::DecodeWithBlockNumber(r.call_result, all.size()));
    if (prove_chain) {
      absl::StatusOr<U256> id = DecodeUintResult(answer.results.back().return_data);
      if (!id.ok() || *id != U256(config_.chain_id)) {
        return absl::UnavailableError(absl::StrCat(
            "the node answered from another chain (getChainId ",
            id.ok() ? id->ToDecimal() : "malformed", ", want ", config_.chain_id, ")"));
      }
      answer.results.pop_back();
    }
    Batch out;
    out.results = std::move(answer.results);
    out.slot_value = r.slot_value;
    if (at) {
      if (answer.block_number != at->number) {
        return absl::UnavailableError(absl::StrCat("aggregate3 at block ", at->number,
                                                   " answered from block ", answer.block_number));
      }
      out.block = *at;
      if (by_number) {
        if (!r.header || r.header->block.number != at->number) {
          return absl::UnavailableError(
              absl::StrCat("the node has no header for block ", at->number));
        }
        out.block = r.header->block;
      }
    } else if (r.header && r.header->block.number == answer.block_number) {
      out.block = r.header->block;
    } else if (attempt < kAttempts) {
      continue;
    } else {
      out.block = PinnedBlock{.number = answer.block_number, .hash = Hash32{}};
    }
    for (size_t i = 0; i < calls.size(); ++i) {
      // allowFailure=false: a failed sub-call reverts aggregate3; a false flag here is a
      // broken Multicall3, and deciding from it would not fail closed.
      if (!calls[i].allow_failure && !out.results[i].success) {
        return absl::FailedPreconditionError("aggregate3: a sub-call failed");
      }
    }
    return out;
  }
}

absl::StatusOr<Prerequisites> ChainReader::CheckPrerequisites(const Address& app,
                                                              std::span<const Hash32> devices,
                                                              std::span<const Hash32> hashes,
                                                              std::optional<PinnedBlock> at) {
  if (devices.size() > kMaxItems) {
    return InvalidFieldError("devices", absl::StrCat("at most ", kMaxItems, " items"));
  }
  if (hashes.size() > kMaxItems) {
    return InvalidFieldError("compose_hashes", absl::StrCat("at most ", kMaxItems, " items"));
  }
  std::vector<Call3> calls;
  calls.reserve(1 + devices.size() + hashes.size());
  calls.push_back({app, false, dstack_app::AllowAnyDevice()});
  for (const Hash32& d : devices) calls.push_back({app, false, dstack_app::AllowedDeviceIds(d)});
  for (const Hash32& h : hashes) calls.push_back({app, false, dstack_app::AllowedComposeHashes(h)});
  ASSIGN_OR_RETURN(Batch a, ReadBatch(calls, at));
  Prerequisites p;
  p.block = a.block;
  ASSIGN_OR_RETURN(p.allow_any_device, SubBool(a.results[0], app, a.block));
  for (size_t i = 0; i < devices.size(); ++i) {
    ASSIGN_OR_RETURN(bool flag, SubBool(a.results[1 + i], app, a.block));
    p.device_listed.push_back(flag);
    p.device_allowed.push_back(p.allow_any_device || flag);
  }
  for (size_t i = 0; i < hashes.size(); ++i) {
    ASSIGN_OR_RETURN(bool flag, SubBool(a.results[1 + devices.size() + i], app, a.block));
    p.compose_hash_allowed.push_back(flag);
  }
  return p;
}

absl::StatusOr<AllowDecision> ChainReader::Allowed(Bytes calldata, std::optional<PinnedBlock> at) {
  std::vector<Call3> calls = {{config_.kms, false, std::move(calldata)}};
  ASSIGN_OR_RETURN(Batch r, ReadBatch(calls, at));
  if (r.results[0].return_data.empty()) return NoContract(config_.kms, r.block);
  absl::StatusOr<AllowedAnswer> a = DecodeAllowedResult(r.results[0].return_data);
  if (!a.ok()) {
    return absl::UnavailableError(
        absl::StrCat("DstackKms answered malformed data: ", std::string(a.status().message())));
  }
  return AllowDecision{a->allowed, a->allowed ? "" : a->reason, r.block};
}

absl::StatusOr<AllowDecision> ChainReader::IsAppAllowed(const AppBootInfo& info,
                                                        std::optional<PinnedBlock> at) {
  return Allowed(dstack_kms::IsAppAllowed(info), at);
}

absl::StatusOr<KeyReleaseDecision> ChainReader::DecideKeyRelease(const AppBootInfo& info,
                                                                 std::optional<PinnedBlock> at) {
  std::vector<Call3> calls = {{config_.kms, false, dstack_kms::IsAppAllowed(info)},
                              {config_.kms, false, dstack_kms::GatewayAppId()}};
  ASSIGN_OR_RETURN(Batch r, ReadBatch(calls, at));
  for (size_t i = 0; i < 2; ++i) {
    if (r.results[i].return_data.empty()) return NoContract(config_.kms, r.block);
  }
  absl::StatusOr<AllowedAnswer> a = DecodeAllowedResult(r.results[0].return_data);
  absl::StatusOr<std::string> gateway = DecodeStringResult(r.results[1].return_data);
  if (!a.ok() || !gateway.ok()) {
    return absl::UnavailableError(
        absl::StrCat("DstackKms answered malformed data: ",
                     std::string((a.ok() ? gateway.status() : a.status()).message())));
  }
  return KeyReleaseDecision{
      .decision = AllowDecision{a->allowed, a->allowed ? "" : a->reason, r.block},
      .gateway_app_id = *std::move(gateway)};
}

absl::StatusOr<AllowDecision> ChainReader::IsKmsAllowed(const AppBootInfo& info,
                                                        std::optional<PinnedBlock> at) {
  return Allowed(dstack_kms::IsKmsAllowed(info), at);
}

absl::StatusOr<AppState> ChainReader::GetApp(const Address& app, std::optional<PinnedBlock> at) {
  std::vector<Call3> calls = {
      {config_.kms, false, dstack_kms::RegisteredApps(app)},
      {app, false, ownable::Owner()},
      {app, false, dstack_app::AllowAnyDevice()},
      {app, true, ownable::PendingOwner()},
      {app, true, dstack_app::RequireTcbUpToDate()},
      {app, true, dstack_app::Version()},
      {app, true, dstack_app::UpgradesDisabledGetter()},
  };
  // The implementation slot cannot be read from inside the EVM: it goes beside the aggregate3
  // in the same JSON-RPC batch, at the same block tag.
  ASSIGN_OR_RETURN(Batch answer,
                   ReadBatch(calls, at, std::make_pair(app, Erc1967ImplementationSlot())));
  const PinnedBlock block = answer.block;
  const std::vector<Call3Result>& r = answer.results;
  for (size_t i = 0; i < 3; ++i) {
    if (r[i].return_data.empty()) {
      return i == 0 ? absl::FailedPreconditionError(absl::StrCat("no contract at the DstackKms ",
                                                                 ToChecksumAddress(config_.kms)))
                    : NoContract(calls[i].target, block);
    }
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
  if (r[6].success && !r[6].return_data.empty()) {
    absl::StatusOr<bool> d = DecodeBoolResult(r[6].return_data);
    if (!d.ok()) return malformed(d.status());
    s.upgrades_disabled = *d;
  }
  const Hash32& slot = answer.slot_value.value_or(Hash32{});
  for (size_t i = 0; i < 12; ++i) {
    if (slot[i] != 0) return absl::UnavailableError("ERC-1967 slot holds more than an address");
  }
  std::copy(slot.begin() + 12, slot.end(), s.implementation.begin());
  return s;
}

absl::StatusOr<KmsInfo> ChainReader::GetKmsInfo(std::optional<PinnedBlock> at) {
  std::vector<Call3> calls = {{config_.kms, false, dstack_kms::GetKmsInfo()}};
  ASSIGN_OR_RETURN(Batch r, ReadBatch(calls, at));
  if (r.results[0].return_data.empty()) return NoContract(config_.kms, r.block);
  absl::StatusOr<KmsInfo> k = DecodeKmsInfoResult(r.results[0].return_data);
  if (!k.ok())
    return absl::UnavailableError(absl::StrCat("kmsInfo: ", std::string(k.status().message())));
  return k;
}

absl::StatusOr<KmsState> ChainReader::GetKmsState(std::optional<PinnedBlock> at) {
  const Address& kms = config_.kms;
  std::vector<Call3> calls = {
      {kms, false, dstack_kms::GetKmsInfo()},        {kms, false, ownable::Owner()},
      {kms, false, dstack_kms::AppImplementation()}, {kms, false, dstack_kms::GatewayAppId()},
      {kms, true, ownable::PendingOwner()},
  };
  ASSIGN_OR_RETURN(Batch r, ReadBatch(calls, at));
  for (size_t i = 0; i < 4; ++i) {
    if (r.results[i].return_data.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("no DstackKms at ", ToChecksumAddress(kms),
                                                        " (block ", r.block.number, ")"));
    }
  }
  auto malformed = [](const absl::Status& st) {
    return absl::UnavailableError(
        absl::StrCat("DstackKms answered malformed data: ", std::string(st.message())));
  };
  KmsState s;
  s.block = r.block;
  absl::StatusOr<KmsInfo> info = DecodeKmsInfoResult(r.results[0].return_data);
  if (!info.ok()) return malformed(info.status());
  s.info = *std::move(info);
  absl::StatusOr<Address> owner = DecodeAddressResult(r.results[1].return_data);
  if (!owner.ok()) return malformed(owner.status());
  s.owner = *owner;
  absl::StatusOr<Address> impl = DecodeAddressResult(r.results[2].return_data);
  if (!impl.ok()) return malformed(impl.status());
  s.app_implementation = *impl;
  absl::StatusOr<std::string> gateway = DecodeStringResult(r.results[3].return_data);
  if (!gateway.ok()) return malformed(gateway.status());
  s.gateway_app_id = *std::move(gateway);
  if (r.results[4].success && !r.results[4].return_data.empty()) {
    absl::StatusOr<Address> p = DecodeAddressResult(r.results[4].return_data);
    if (!p.ok()) return malformed(p.status());
    if (!p->IsZero()) s.pending_owner = *p;
  }
  return s;
}

absl::StatusOr<KmsAllowlists> ChainReader::CheckKmsAllowlists(std::span<const Hash32> os_images,
                                                              std::span<const Hash32> mrs,
                                                              std::span<const Hash32> devices,
                                                              std::optional<PinnedBlock> at) {
  if (os_images.size() + mrs.size() + devices.size() > kMaxItems) {
    return InvalidFieldError("os_image_hashes",
                             absl::StrCat("at most ", kMaxItems, " items in all lists"));
  }
  const Address& kms = config_.kms;
  std::vector<Call3> calls;
  for (const Hash32& h : os_images) calls.push_back({kms, false, dstack_kms::AllowedOsImages(h)});
  for (const Hash32& h : mrs) calls.push_back({kms, false, dstack_kms::KmsAllowedAggregatedMrs(h)});
  for (const Hash32& h : devices) calls.push_back({kms, false, dstack_kms::KmsAllowedDeviceIds(h)});
  ASSIGN_OR_RETURN(Batch r, ReadBatch(calls, at));
  KmsAllowlists out;
  out.block = r.block;
  for (size_t i = 0; i < calls.size(); ++i) {
    ASSIGN_OR_RETURN(bool b, SubBool(r.results[i], kms, r.block));
    if (i < os_images.size()) {
      out.os_image_allowed.push_back(b);
    } else if (i < os_images.size() + mrs.size()) {
      out.aggregated_mr_allowed.push_back(b);
    } else {
      out.device_allowed.push_back(b);
    }
  }
  return out;
}

absl::StatusOr<std::optional<Receipt>> ChainReader::GetReceipt(const Hash32& tx_hash) {
  return eth_rpc::GetTransactionReceipt(rpc_, tx_hash);
}

absl::StatusOr<std::vector<LogEntry>> ChainReader::GetLogs(const LogFilter& filter) {
  return eth_rpc::GetLogs(rpc_, filter);
}

}  // namespace chainkms
