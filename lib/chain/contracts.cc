#include "lib/chain/contracts.h"

#include <array>
#include <cstdlib>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"
#include "lib/crypto/keccak.h"
#include "lib/eth/abi_type.h"

namespace chainkms {
namespace {

// The builders' inputs are typed, so an encoding failure is a programming error.
Bytes MustEncode(std::string_view signature, std::vector<AbiValue> values) {
  absl::StatusOr<Bytes> b = EncodeCall(signature, values);
  if (!b.ok()) {
    std::cerr << "chainkms: encoding " << signature << " failed: " << b.status() << "\n";
    std::abort();
  }
  return *std::move(b);
}

Bytes Word(std::string_view signature, const Hash32& h) {
  return MustEncode(signature, {AbiValue::FixedBytes(h.view())});
}
Bytes NoArgs(std::string_view signature) { return MustEncode(signature, {}); }

AbiValue Fixed(const Hash32& h) { return AbiValue::FixedBytes(h.view()); }

absl::Status EmptyResult() {
  return absl::FailedPreconditionError("no contract code answered (empty result)");
}

absl::StatusOr<std::vector<AbiValue>> DecodeResult(std::vector<AbiType> types, ByteView ret) {
  if (ret.empty()) return EmptyResult();
  absl::StatusOr<std::vector<AbiValue>> v = AbiDecode(types, ret);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed return data: ", v.status().message()));
  }
  return v;
}

}  // namespace

AbiType AppBootInfoType() {
  return AbiType::Tuple({AbiType::Address(), AbiType::FixedBytes(32), AbiType::Address(),
                         AbiType::FixedBytes(32), AbiType::FixedBytes(32), AbiType::FixedBytes(32),
                         AbiType::FixedBytes(32), AbiType::String(),
                         AbiType::Array(AbiType::String())});
}

AbiValue ToAbiValue(const AppBootInfo& info) {
  std::vector<AbiValue> advisories;
  advisories.reserve(info.advisory_ids.size());
  for (const std::string& a : info.advisory_ids) advisories.push_back(AbiValue::String(a));
  return AbiValue::Tuple({AbiValue::Address(info.app_id), Fixed(info.compose_hash),
                          AbiValue::Address(info.instance_id), Fixed(info.device_id),
                          Fixed(info.mr_aggregated), Fixed(info.mr_system),
                          Fixed(info.os_image_hash), AbiValue::String(info.tcb_status),
                          AbiValue::Array(std::move(advisories))});
}

namespace dstack_app {
Bytes IsAppAllowed(const AppBootInfo& info) { return MustEncode(sig::kIsAppAllowed, {ToAbiValue(info)}); }
Bytes AddComposeHash(const Hash32& h) { return Word(sig::kAddComposeHash, h); }
Bytes RemoveComposeHash(const Hash32& h) { return Word(sig::kRemoveComposeHash, h); }
Bytes AddDevice(const Hash32& d) { return Word(sig::kAddDevice, d); }
Bytes RemoveDevice(const Hash32& d) { return Word(sig::kRemoveDevice, d); }
Bytes SetAllowAnyDevice(bool allow) {
  return MustEncode(sig::kSetAllowAnyDevice, {AbiValue::Bool(allow)});
}
Bytes SetRequireTcbUpToDate(bool require) {
  return MustEncode(sig::kSetRequireTcbUpToDate, {AbiValue::Bool(require)});
}
Bytes DisableUpgrades() { return NoArgs(sig::kDisableUpgrades); }
Bytes AllowedComposeHashes(const Hash32& h) { return Word(sig::kAllowedComposeHashes, h); }
Bytes AllowAnyDevice() { return NoArgs(sig::kAllowAnyDevice); }
Bytes AllowedDeviceIds(const Hash32& d) { return Word(sig::kAllowedDeviceIds, d); }
Bytes RequireTcbUpToDate() { return NoArgs(sig::kRequireTcbUpToDate); }
Bytes Initialize(const AppPolicyInit& i) {
  return MustEncode(sig::kAppInitialize,
                    {AbiValue::Address(i.owner), AbiValue::Bool(i.disable_upgrades),
                     AbiValue::Bool(i.require_tcb_up_to_date), AbiValue::Bool(i.allow_any_device),
                     Fixed(i.device_id), Fixed(i.compose_hash)});
}
Bytes InitializeLegacy(const AppPolicyInit& i) {
  return MustEncode(sig::kAppInitializeLegacy,
                    {AbiValue::Address(i.owner), AbiValue::Bool(i.disable_upgrades),
                     AbiValue::Bool(i.allow_any_device), Fixed(i.device_id),
                     Fixed(i.compose_hash)});
}
Bytes Version() { return NoArgs(sig::kVersion); }
Bytes UpgradesDisabledGetter() { return NoArgs(sig::kUpgradesDisabled); }
}  // namespace dstack_app

namespace dstack_kms {
Bytes Initialize(const Address& owner, const Address& app_implementation) {
  return MustEncode(sig::kKmsInitialize,
                    {AbiValue::Address(owner), AbiValue::Address(app_implementation)});
}
Bytes IsAppAllowed(const AppBootInfo& info) { return MustEncode(sig::kIsAppAllowed, {ToAbiValue(info)}); }
Bytes IsKmsAllowed(const AppBootInfo& info) { return MustEncode(sig::kIsKmsAllowed, {ToAbiValue(info)}); }
Bytes DeployAndRegisterApp(const AppPolicyInit& i) {
  return MustEncode(sig::kDeployAndRegisterApp,
                    {AbiValue::Address(i.owner), AbiValue::Bool(i.disable_upgrades),
                     AbiValue::Bool(i.require_tcb_up_to_date), AbiValue::Bool(i.allow_any_device),
                     Fixed(i.device_id), Fixed(i.compose_hash)});
}
Bytes DeployAndRegisterAppLegacy(const AppPolicyInit& i) {
  return MustEncode(sig::kDeployAndRegisterAppLegacy,
                    {AbiValue::Address(i.owner), AbiValue::Bool(i.disable_upgrades),
                     AbiValue::Bool(i.allow_any_device), Fixed(i.device_id),
                     Fixed(i.compose_hash)});
}
Bytes RegisterApp(const Address& a) { return MustEncode(sig::kRegisterApp, {AbiValue::Address(a)}); }
Bytes RegisteredApps(const Address& a) {
  return MustEncode(sig::kRegisteredApps, {AbiValue::Address(a)});
}
Bytes AppImplementation() { return NoArgs(sig::kAppImplementation); }
Bytes SetAppImplementation(const Address& a) {
  return MustEncode(sig::kSetAppImplementation, {AbiValue::Address(a)});
}
Bytes AddOsImageHash(const Hash32& h) { return Word(sig::kAddOsImageHash, h); }
Bytes RemoveOsImageHash(const Hash32& h) { return Word(sig::kRemoveOsImageHash, h); }
Bytes AllowedOsImages(const Hash32& h) { return Word(sig::kAllowedOsImages, h); }
Bytes AddKmsAggregatedMr(const Hash32& h) { return Word(sig::kAddKmsAggregatedMr, h); }
Bytes RemoveKmsAggregatedMr(const Hash32& h) { return Word(sig::kRemoveKmsAggregatedMr, h); }
Bytes KmsAllowedAggregatedMrs(const Hash32& h) { return Word(sig::kKmsAllowedAggregatedMrs, h); }
Bytes AddKmsDevice(const Hash32& d) { return Word(sig::kAddKmsDevice, d); }
Bytes RemoveKmsDevice(const Hash32& d) { return Word(sig::kRemoveKmsDevice, d); }
Bytes KmsAllowedDeviceIds(const Hash32& d) { return Word(sig::kKmsAllowedDeviceIds, d); }
Bytes SetKmsInfo(const KmsInfo& k) {
  return MustEncode(sig::kSetKmsInfo,
                    {AbiValue::Tuple({AbiValue::Bytes(k.k256_pubkey), AbiValue::Bytes(k.ca_pubkey),
                                      AbiValue::Bytes(k.quote), AbiValue::Bytes(k.eventlog)})});
}
Bytes GetKmsInfo() { return NoArgs(sig::kKmsInfo); }
Bytes SetGatewayAppId(std::string_view id) {
  return MustEncode(sig::kSetGatewayAppId, {AbiValue::String(id)});
}
Bytes GatewayAppId() { return NoArgs(sig::kGatewayAppId); }
}  // namespace dstack_kms

namespace ownable {
Bytes Owner() { return NoArgs(sig::kOwner); }
Bytes PendingOwner() { return NoArgs(sig::kPendingOwner); }
Bytes TransferOwnership(const Address& a) {
  return MustEncode(sig::kTransferOwnership, {AbiValue::Address(a)});
}
Bytes AcceptOwnership() { return NoArgs(sig::kAcceptOwnership); }
Bytes UpgradeToAndCall(const Address& impl, ByteView data) {
  return MustEncode(sig::kUpgradeToAndCall, {AbiValue::Address(impl), AbiValue::Bytes(data)});
}
}  // namespace ownable

absl::StatusOr<bool> DecodeBoolResult(ByteView ret) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> v, DecodeResult({AbiType::Bool()}, ret));
  return v[0].AsBool();
}
absl::StatusOr<Address> DecodeAddressResult(ByteView ret) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> v, DecodeResult({AbiType::Address()}, ret));
  return v[0].address;
}
absl::StatusOr<U256> DecodeUintResult(ByteView ret) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> v, DecodeResult({AbiType::Uint()}, ret));
  return v[0].number;
}
absl::StatusOr<std::string> DecodeStringResult(ByteView ret) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> v, DecodeResult({AbiType::String()}, ret));
  return v[0].AsString();
}
absl::StatusOr<KmsInfo> DecodeKmsInfoResult(ByteView ret) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> v,
                   DecodeResult({AbiType::Bytes(), AbiType::Bytes(), AbiType::Bytes(),
                                 AbiType::Bytes()},
                                ret));
  return KmsInfo{v[0].bytes, v[1].bytes, v[2].bytes, v[3].bytes};
}
absl::StatusOr<AllowedAnswer> DecodeAllowedResult(ByteView ret) {
  ASSIGN_OR_RETURN(std::vector<AbiValue> v, DecodeResult({AbiType::Bool(), AbiType::String()}, ret));
  return AllowedAnswer{v[0].AsBool(), v[1].AsString()};
}

namespace {
constexpr std::array<std::pair<Policy, std::string_view>, 6> kPolicies = {{
    {Policy::kComposeHash, "compose-hash"},
    {Policy::kDevice, "device"},
    {Policy::kAllowAnyDevice, "allow-any-device"},
    {Policy::kRequireTcbUpToDate, "require-tcb-up-to-date"},
    {Policy::kUpgradesDisabled, "upgrades-disabled"},
    {Policy::kImplementationUpgrade, "implementation-upgrade"},
}};
}  // namespace

std::string_view PolicyName(Policy p) {
  for (const auto& [policy, name] : kPolicies) {
    if (policy == p) return name;
  }
  return "unknown";
}
Hash32 PolicyId(Policy p) { return Keccak256(AsBytes(PolicyName(p))); }
std::optional<Policy> PolicyFromId(const Hash32& id) {
  for (const auto& [policy, name] : kPolicies) {
    if (Keccak256(AsBytes(name)) == id) return policy;
  }
  return std::nullopt;
}

Hash32 EventTopicFor(std::string_view event_signature) {
  absl::StatusOr<Hash32> t = EventTopic(event_signature);
  if (!t.ok()) {
    std::cerr << "chainkms: bad event signature " << event_signature << "\n";
    std::abort();
  }
  return *t;
}

namespace {

struct EventDecoder {
  std::string_view signature;
  AbiSignature parsed;
  Hash32 topic;
  ContractEvent (*make)(const std::vector<AbiValue>& v);
};

Hash32 H(const AbiValue& v) { return *Hash32::TryFrom(v.bytes); }

const std::vector<EventDecoder>& Decoders() {
  static const std::vector<EventDecoder>* decoders = [] {
    auto* d = new std::vector<EventDecoder>;
    auto add = [d](std::string_view s, ContractEvent (*make)(const std::vector<AbiValue>&)) {
      absl::StatusOr<AbiSignature> parsed = ParseSignature(s);
      if (!parsed.ok()) std::abort();
      Hash32 topic = EventTopicOf(*parsed);
      d->push_back(EventDecoder{s, *std::move(parsed), topic, make});
    };
    using V = std::vector<AbiValue>;
    add(event_sig::kComposeHashAdded, [](const V& v) -> ContractEvent { return ComposeHashAdded{H(v[0])}; });
    add(event_sig::kComposeHashRemoved, [](const V& v) -> ContractEvent { return ComposeHashRemoved{H(v[0])}; });
    add(event_sig::kDeviceAdded, [](const V& v) -> ContractEvent { return DeviceAdded{H(v[0])}; });
    add(event_sig::kDeviceRemoved, [](const V& v) -> ContractEvent { return DeviceRemoved{H(v[0])}; });
    add(event_sig::kAllowAnyDeviceSet, [](const V& v) -> ContractEvent { return AllowAnyDeviceSet{v[0].AsBool()}; });
    add(event_sig::kRequireTcbUpToDateSet, [](const V& v) -> ContractEvent { return RequireTcbUpToDateSet{v[0].AsBool()}; });
    add(event_sig::kUpgradesDisabled, [](const V&) -> ContractEvent { return UpgradesDisabled{}; });
    add(event_sig::kPolicyChanged, [](const V& v) -> ContractEvent {
      return PolicyChanged{v[0].address, H(v[1]), H(v[2]), v[3].AsBool()};
    });
    add(event_sig::kAppDeployedViaFactory, [](const V& v) -> ContractEvent {
      return AppDeployedViaFactory{v[0].address, v[1].address};
    });
    add(event_sig::kAppRegistered, [](const V& v) -> ContractEvent { return AppRegistered{v[0].address}; });
    add(event_sig::kOwnershipTransferStarted, [](const V& v) -> ContractEvent {
      return OwnershipTransferStarted{v[0].address, v[1].address};
    });
    add(event_sig::kOwnershipTransferred, [](const V& v) -> ContractEvent {
      return OwnershipTransferred{v[0].address, v[1].address};
    });
    add(event_sig::kUpgraded, [](const V& v) -> ContractEvent { return Upgraded{v[0].address}; });
    add(event_sig::kInitialized, [](const V& v) -> ContractEvent {
      return Initialized{v[0].number.low64()};
    });
    add(event_sig::kAppImplementationSet, [](const V& v) -> ContractEvent { return AppImplementationSet{v[0].address}; });
    add(event_sig::kKmsInfoSet, [](const V& v) -> ContractEvent { return KmsInfoSet{v[0].bytes}; });
    add(event_sig::kGatewayAppIdSet, [](const V& v) -> ContractEvent { return GatewayAppIdSet{v[0].AsString()}; });
    add(event_sig::kOsImageHashAdded, [](const V& v) -> ContractEvent { return OsImageHashAdded{H(v[0])}; });
    add(event_sig::kOsImageHashRemoved, [](const V& v) -> ContractEvent { return OsImageHashRemoved{H(v[0])}; });
    add(event_sig::kKmsAggregatedMrAdded, [](const V& v) -> ContractEvent { return KmsAggregatedMrAdded{H(v[0])}; });
    add(event_sig::kKmsAggregatedMrRemoved, [](const V& v) -> ContractEvent { return KmsAggregatedMrRemoved{H(v[0])}; });
    add(event_sig::kKmsDeviceAdded, [](const V& v) -> ContractEvent { return KmsDeviceAdded{H(v[0])}; });
    add(event_sig::kKmsDeviceRemoved, [](const V& v) -> ContractEvent { return KmsDeviceRemoved{H(v[0])}; });
    return d;
  }();
  return *decoders;
}

}  // namespace

std::optional<ContractEvent> DecodeEvent(const Log& log) {
  if (log.topics.empty()) return std::nullopt;
  for (const EventDecoder& d : Decoders()) {
    if (d.topic != log.topics[0]) continue;
    // DecodeLog checks the exact topic count; static-only data must also be exactly the
    // unindexed words (no trailing bytes a forged log could hide behind).
    size_t unindexed = 0;
    bool dynamic = false;
    for (const AbiParam& p : d.parsed.inputs) {
      if (p.indexed) continue;
      ++unindexed;
      dynamic = dynamic || p.type.IsDynamic();
    }
    if (!dynamic && log.data.size() != 32 * unindexed) return std::nullopt;
    absl::StatusOr<std::vector<AbiValue>> v = DecodeLog(d.parsed, log);
    if (!v.ok()) return std::nullopt;
    if (d.signature == event_sig::kInitialized && !(*v)[0].number.ToU64()) return std::nullopt;
    return d.make(*v);
  }
  return std::nullopt;
}

std::string_view EventName(const ContractEvent& e) {
  static constexpr std::array<std::string_view, std::variant_size_v<ContractEvent>> kNames = {
      "ComposeHashAdded",      "ComposeHashRemoved",  "DeviceAdded",
      "DeviceRemoved",         "AllowAnyDeviceSet",   "RequireTcbUpToDateSet",
      "UpgradesDisabled",      "PolicyChanged",       "AppDeployedViaFactory",
      "AppRegistered",         "OwnershipTransferStarted", "OwnershipTransferred",
      "Upgraded",              "Initialized",         "AppImplementationSet",
      "KmsInfoSet",            "GatewayAppIdSet",     "OsImageHashAdded",
      "OsImageHashRemoved",    "KmsAggregatedMrAdded", "KmsAggregatedMrRemoved",
      "KmsDeviceAdded",        "KmsDeviceRemoved"};
  return kNames[e.index()];
}

std::span<const std::string> KnownCustomErrors() {
  static const std::vector<std::string> kErrors = {
      "OwnableUnauthorizedAccount(address)",
      "OwnableInvalidOwner(address)",
      "InvalidInitialization()",
      "NotInitializing()",
      "ERC1967InvalidImplementation(address)",
      "ERC1967InvalidAdmin(address)",
      "ERC1967NonPayable()",
      "UUPSUnauthorizedCallContext()",
      "UUPSUnsupportedProxiableUUID(bytes32)",
      "AddressEmptyCode(address)",
      "FailedInnerCall()",
      "FailedCall()",
  };
  return kErrors;
}

}  // namespace chainkms
