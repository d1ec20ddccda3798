// Typed bindings for the DstackApp and DstackKms contracts (DESIGN §5.1): calldata builders,
// return-value decoders, typed events decoded from logs, and the custom errors they revert with.
//
//   Bytes data = dstack_app::AddComposeHash(compose_hash);          // 0xdfc77223 ‖ hash
//   ASSIGN_OR_RETURN(Bytes ret, EthCall(rpc, app_id, dstack_app::AllowAnyDevice(), block));
//   ASSIGN_OR_RETURN(bool any, DecodeBoolResult(ret));
//   if (std::optional<ContractEvent> e = DecodeEvent(log)) {
//     if (auto* added = std::get_if<ComposeHashAdded>(&*e)) Use(added->hash);
//   }
//
// Builders take typed inputs (Hash32, Address), so they cannot fail; signatures are the exact
// DESIGN strings and the selectors are checked against the DESIGN table in contracts_test.cc.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/u256.h"
#include "lib/eth/abi.h"
#include "lib/eth/log.h"

namespace chainkms {

// What a CVM presents when it boots; the argument of isAppAllowed / isKmsAllowed.
struct AppBootInfo {
  Address app_id;
  Hash32 compose_hash;
  Address instance_id;
  Hash32 device_id;
  Hash32 mr_aggregated;
  Hash32 mr_system;
  Hash32 os_image_hash;
  std::string tcb_status;  // "UpToDate", ...
  std::vector<std::string> advisory_ids;
  friend bool operator==(const AppBootInfo&, const AppBootInfo&) = default;
};

// The ABI tuple (address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]).
AbiType AppBootInfoType();
AbiValue ToAbiValue(const AppBootInfo& info);

// DstackKms.kmsInfo(): four return values (bytes k256Pubkey, bytes caPubkey, bytes quote,
// bytes eventlog); setKmsInfo takes them as one tuple.
struct KmsInfo {
  Bytes k256_pubkey;
  Bytes ca_pubkey;
  Bytes quote;
  Bytes eventlog;
  friend bool operator==(const KmsInfo&, const KmsInfo&) = default;
};

// Exact function signatures (canonical, as hashed into selectors).
namespace sig {
inline constexpr std::string_view kIsAppAllowed =
    "isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))";
inline constexpr std::string_view kIsKmsAllowed =
    "isKmsAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))";
inline constexpr std::string_view kAddComposeHash = "addComposeHash(bytes32)";
inline constexpr std::string_view kRemoveComposeHash = "removeComposeHash(bytes32)";
inline constexpr std::string_view kAddDevice = "addDevice(bytes32)";
inline constexpr std::string_view kRemoveDevice = "removeDevice(bytes32)";
inline constexpr std::string_view kSetAllowAnyDevice = "setAllowAnyDevice(bool)";
inline constexpr std::string_view kSetRequireTcbUpToDate = "setRequireTcbUpToDate(bool)";
inline constexpr std::string_view kDisableUpgrades = "disableUpgrades()";
inline constexpr std::string_view kAllowedComposeHashes = "allowedComposeHashes(bytes32)";
inline constexpr std::string_view kAllowAnyDevice = "allowAnyDevice()";
inline constexpr std::string_view kAllowedDeviceIds = "allowedDeviceIds(bytes32)";
inline constexpr std::string_view kRequireTcbUpToDate = "requireTcbUpToDate()";
inline constexpr std::string_view kAppInitialize =
    "initialize(address,bool,bool,bool,bytes32,bytes32)";
inline constexpr std::string_view kAppInitializeLegacy = "initialize(address,bool,bool,bytes32,bytes32)";
inline constexpr std::string_view kVersion = "version()";
inline constexpr std::string_view kUpgradesDisabled = "upgradesDisabled()";
inline constexpr std::string_view kKmsInitialize = "initialize(address,address)";
inline constexpr std::string_view kOwner = "owner()";
inline constexpr std::string_view kPendingOwner = "pendingOwner()";
inline constexpr std::string_view kTransferOwnership = "transferOwnership(address)";
inline constexpr std::string_view kAcceptOwnership = "acceptOwnership()";
inline constexpr std::string_view kUpgradeToAndCall = "upgradeToAndCall(address,bytes)";
inline constexpr std::string_view kDeployAndRegisterApp =
    "deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)";
inline constexpr std::string_view kDeployAndRegisterAppLegacy =
    "deployAndRegisterApp(address,bool,bool,bytes32,bytes32)";
inline constexpr std::string_view kRegisterApp = "registerApp(address)";
inline constexpr std::string_view kRegisteredApps = "registeredApps(address)";
inline constexpr std::string_view kAppImplementation = "appImplementation()";
inline constexpr std::string_view kSetAppImplementation = "setAppImplementation(address)";
inline constexpr std::string_view kAddOsImageHash = "addOsImageHash(bytes32)";
inline constexpr std::string_view kRemoveOsImageHash = "removeOsImageHash(bytes32)";
inline constexpr std::string_view kAllowedOsImages = "allowedOsImages(bytes32)";
inline constexpr std::string_view kAddKmsAggregatedMr = "addKmsAggregatedMr(bytes32)";
inline constexpr std::string_view kRemoveKmsAggregatedMr = "removeKmsAggregatedMr(bytes32)";
inline constexpr std::string_view kKmsAllowedAggregatedMrs = "kmsAllowedAggregatedMrs(bytes32)";
inline constexpr std::string_view kAddKmsDevice = "addKmsDevice(bytes32)";
inline constexpr std::string_view kRemoveKmsDevice = "removeKmsDevice(bytes32)";
inline constexpr std::string_view kKmsAllowedDeviceIds = "kmsAllowedDeviceIds(bytes32)";
inline constexpr std::string_view kSetKmsInfo = "setKmsInfo((bytes,bytes,bytes,bytes))";
inline constexpr std::string_view kKmsInfo = "kmsInfo()";
inline constexpr std::string_view kSetGatewayAppId = "setGatewayAppId(string)";
inline constexpr std::string_view kGatewayAppId = "gatewayAppId()";
}  // namespace sig

// Arguments of DstackApp.initialize and DstackKms.deployAndRegisterApp (6-argument forms).
// A zero device id / compose hash means "none".
struct AppPolicyInit {
  Address owner = {};
  bool disable_upgrades = false;
  bool require_tcb_up_to_date = false;
  bool allow_any_device = false;
  Hash32 device_id = {};
  Hash32 compose_hash = {};
};

// Calldata for DstackApp (the app id is the proxy's address).
namespace dstack_app {
Bytes IsAppAllowed(const AppBootInfo& info);
Bytes AddComposeHash(const Hash32& compose_hash);
Bytes RemoveComposeHash(const Hash32& compose_hash);
Bytes AddDevice(const Hash32& device_id);
Bytes RemoveDevice(const Hash32& device_id);
Bytes SetAllowAnyDevice(bool allow);
Bytes SetRequireTcbUpToDate(bool require);
Bytes DisableUpgrades();
Bytes AllowedComposeHashes(const Hash32& compose_hash);
Bytes AllowAnyDevice();
Bytes AllowedDeviceIds(const Hash32& device_id);
Bytes RequireTcbUpToDate();
Bytes Initialize(const AppPolicyInit& init);
// The 5-argument form (no requireTcbUpToDate; `init.require_tcb_up_to_date` is ignored).
Bytes InitializeLegacy(const AppPolicyInit& init);
Bytes Version();
Bytes UpgradesDisabledGetter();  // upgradesDisabled() view
}  // namespace dstack_app

// Calldata for DstackKms.
namespace dstack_kms {
// initialize(address owner, address appImplementation), run through the ERC1967Proxy constructor.
Bytes Initialize(const Address& owner, const Address& app_implementation);
Bytes IsAppAllowed(const AppBootInfo& info);
Bytes IsKmsAllowed(const AppBootInfo& info);
Bytes DeployAndRegisterApp(const AppPolicyInit& init);
// The 5-argument form (no requireTcbUpToDate).
Bytes DeployAndRegisterAppLegacy(const AppPolicyInit& init);
Bytes RegisterApp(const Address& app_id);
Bytes RegisteredApps(const Address& app_id);
Bytes AppImplementation();
Bytes SetAppImplementation(const Address& implementation);
Bytes AddOsImageHash(const Hash32& os_image_hash);
Bytes RemoveOsImageHash(const Hash32& os_image_hash);
Bytes AllowedOsImages(const Hash32& os_image_hash);
Bytes AddKmsAggregatedMr(const Hash32& mr);
Bytes RemoveKmsAggregatedMr(const Hash32& mr);
Bytes KmsAllowedAggregatedMrs(const Hash32& mr);
Bytes AddKmsDevice(const Hash32& device_id);
Bytes RemoveKmsDevice(const Hash32& device_id);
Bytes KmsAllowedDeviceIds(const Hash32& device_id);
Bytes SetKmsInfo(const KmsInfo& info);
Bytes GetKmsInfo();
Bytes SetGatewayAppId(std::string_view gateway_app_id);
Bytes GatewayAppId();
}  // namespace dstack_kms

// Ownable2Step + UUPS, shared by both contracts.
namespace ownable {
Bytes Owner();
Bytes PendingOwner();
Bytes TransferOwnership(const Address& new_owner);
Bytes AcceptOwnership();
Bytes UpgradeToAndCall(const Address& implementation, ByteView data);
}  // namespace ownable

// Return-value decoders. Malformed data is INVALID_ARGUMENT; an empty result (no contract) is
// FAILED_PRECONDITION "no contract code answered".
absl::StatusOr<bool> DecodeBoolResult(ByteView ret);
absl::StatusOr<Address> DecodeAddressResult(ByteView ret);
absl::StatusOr<U256> DecodeUintResult(ByteView ret);
absl::StatusOr<std::string> DecodeStringResult(ByteView ret);
absl::StatusOr<KmsInfo> DecodeKmsInfoResult(ByteView ret);

// isAppAllowed / isKmsAllowed: (bool isAllowed, string reason).
struct AllowedAnswer {
  bool allowed = false;
  std::string reason;
};
absl::StatusOr<AllowedAnswer> DecodeAllowedResult(ByteView ret);

// The `policy` topic of PolicyChanged: keccak256 of the policy's name.
enum class Policy {
  kComposeHash,            // "compose-hash"
  kDevice,                 // "device"
  kAllowAnyDevice,         // "allow-any-device"
  kRequireTcbUpToDate,     // "require-tcb-up-to-date"
  kUpgradesDisabled,       // "upgrades-disabled"
  kImplementationUpgrade,  // "implementation-upgrade"
};
std::string_view PolicyName(Policy p);
Hash32 PolicyId(Policy p);
std::optional<Policy> PolicyFromId(const Hash32& id);

// Events (fields in declaration order).
struct ComposeHashAdded { Hash32 hash; friend bool operator==(const ComposeHashAdded&, const ComposeHashAdded&) = default; };
struct ComposeHashRemoved { Hash32 hash; friend bool operator==(const ComposeHashRemoved&, const ComposeHashRemoved&) = default; };
struct DeviceAdded { Hash32 device_id; friend bool operator==(const DeviceAdded&, const DeviceAdded&) = default; };
struct DeviceRemoved { Hash32 device_id; friend bool operator==(const DeviceRemoved&, const DeviceRemoved&) = default; };
struct AllowAnyDeviceSet { bool allow_any = false; friend bool operator==(const AllowAnyDeviceSet&, const AllowAnyDeviceSet&) = default; };
struct RequireTcbUpToDateSet { bool require = false; friend bool operator==(const RequireTcbUpToDateSet&, const RequireTcbUpToDateSet&) = default; };
struct UpgradesDisabled { friend bool operator==(const UpgradesDisabled&, const UpgradesDisabled&) = default; };
struct PolicyChanged {
  Address actor;
  Hash32 policy;  // PolicyFromId(policy) names it
  Hash32 value;
  bool enabled = false;
  friend bool operator==(const PolicyChanged&, const PolicyChanged&) = default;
};
struct AppDeployedViaFactory { Address app_id; Address deployer; friend bool operator==(const AppDeployedViaFactory&, const AppDeployedViaFactory&) = default; };
struct AppRegistered { Address app_id; friend bool operator==(const AppRegistered&, const AppRegistered&) = default; };
struct OwnershipTransferStarted { Address previous_owner; Address new_owner; friend bool operator==(const OwnershipTransferStarted&, const OwnershipTransferStarted&) = default; };
struct OwnershipTransferred { Address previous_owner; Address new_owner; friend bool operator==(const OwnershipTransferred&, const OwnershipTransferred&) = default; };
struct Upgraded { Address implementation; friend bool operator==(const Upgraded&, const Upgraded&) = default; };
struct Initialized { uint64_t version = 0; friend bool operator==(const Initialized&, const Initialized&) = default; };
// DstackKms.
struct AppImplementationSet { Address implementation; friend bool operator==(const AppImplementationSet&, const AppImplementationSet&) = default; };
struct KmsInfoSet { Bytes k256_pubkey; friend bool operator==(const KmsInfoSet&, const KmsInfoSet&) = default; };
struct GatewayAppIdSet { std::string gateway_app_id; friend bool operator==(const GatewayAppIdSet&, const GatewayAppIdSet&) = default; };
struct OsImageHashAdded { Hash32 hash; friend bool operator==(const OsImageHashAdded&, const OsImageHashAdded&) = default; };
struct OsImageHashRemoved { Hash32 hash; friend bool operator==(const OsImageHashRemoved&, const OsImageHashRemoved&) = default; };
struct KmsAggregatedMrAdded { Hash32 mr; friend bool operator==(const KmsAggregatedMrAdded&, const KmsAggregatedMrAdded&) = default; };
struct KmsAggregatedMrRemoved { Hash32 mr; friend bool operator==(const KmsAggregatedMrRemoved&, const KmsAggregatedMrRemoved&) = default; };
struct KmsDeviceAdded { Hash32 device_id; friend bool operator==(const KmsDeviceAdded&, const KmsDeviceAdded&) = default; };
struct KmsDeviceRemoved { Hash32 device_id; friend bool operator==(const KmsDeviceRemoved&, const KmsDeviceRemoved&) = default; };

using ContractEvent =
    std::variant<ComposeHashAdded, ComposeHashRemoved, DeviceAdded, DeviceRemoved,
                 AllowAnyDeviceSet, RequireTcbUpToDateSet, UpgradesDisabled, PolicyChanged,
                 AppDeployedViaFactory, AppRegistered, OwnershipTransferStarted,
                 OwnershipTransferred, Upgraded, Initialized, AppImplementationSet, KmsInfoSet,
                 GatewayAppIdSet, OsImageHashAdded, OsImageHashRemoved, KmsAggregatedMrAdded,
                 KmsAggregatedMrRemoved, KmsDeviceAdded, KmsDeviceRemoved>;

// Event signatures, as declared (indexed markers included).
namespace event_sig {
inline constexpr std::string_view kComposeHashAdded = "ComposeHashAdded(bytes32)";
inline constexpr std::string_view kComposeHashRemoved = "ComposeHashRemoved(bytes32)";
inline constexpr std::string_view kDeviceAdded = "DeviceAdded(bytes32)";
inline constexpr std::string_view kDeviceRemoved = "DeviceRemoved(bytes32)";
inline constexpr std::string_view kAllowAnyDeviceSet = "AllowAnyDeviceSet(bool)";
inline constexpr std::string_view kRequireTcbUpToDateSet = "RequireTcbUpToDateSet(bool)";
inline constexpr std::string_view kUpgradesDisabled = "UpgradesDisabled()";
inline constexpr std::string_view kPolicyChanged =
    "PolicyChanged(address indexed,bytes32 indexed,bytes32 indexed,bool)";
inline constexpr std::string_view kAppDeployedViaFactory =
    "AppDeployedViaFactory(address indexed,address indexed)";
inline constexpr std::string_view kAppRegistered = "AppRegistered(address)";
inline constexpr std::string_view kOwnershipTransferStarted =
    "OwnershipTransferStarted(address indexed,address indexed)";
inline constexpr std::string_view kOwnershipTransferred =
    "OwnershipTransferred(address indexed,address indexed)";
inline constexpr std::string_view kUpgraded = "Upgraded(address indexed)";
inline constexpr std::string_view kInitialized = "Initialized(uint64)";
inline constexpr std::string_view kAppImplementationSet = "AppImplementationSet(address)";
inline constexpr std::string_view kKmsInfoSet = "KmsInfoSet(bytes)";
inline constexpr std::string_view kGatewayAppIdSet = "GatewayAppIdSet(string)";
inline constexpr std::string_view kOsImageHashAdded = "OsImageHashAdded(bytes32)";
inline constexpr std::string_view kOsImageHashRemoved = "OsImageHashRemoved(bytes32)";
inline constexpr std::string_view kKmsAggregatedMrAdded = "KmsAggregatedMrAdded(bytes32)";
inline constexpr std::string_view kKmsAggregatedMrRemoved = "KmsAggregatedMrRemoved(bytes32)";
inline constexpr std::string_view kKmsDeviceAdded = "KmsDeviceAdded(bytes32)";
inline constexpr std::string_view kKmsDeviceRemoved = "KmsDeviceRemoved(bytes32)";
}  // namespace event_sig

// topic0 of each event above.
Hash32 EventTopicFor(std::string_view event_signature);

// Decodes a log into one of the events above. nullopt when topic0 is not one of them, or when the
// topic count or data do not match the signature exactly (a log that only looks like the event
// is never accepted). The emitting contract is `log.address`; callers check it.
std::optional<ContractEvent> DecodeEvent(const Log& log);

// The event's name, for logs and JSON ("ComposeHashAdded").
std::string_view EventName(const ContractEvent& e);

// Custom errors the contracts (OpenZeppelin v5) revert with, for DecodeRevert.
std::span<const std::string> KnownCustomErrors();

}  // namespace chainkms
