// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.24;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {Ownable2StepUpgradeable} from "@openzeppelin/contracts-upgradeable/access/Ownable2StepUpgradeable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";
import {ERC165Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/introspection/ERC165Upgradeable.sol";
import {IAppAuth, IAppAuthBasicManagement} from "./IAppAuth.sol";

/// @title Per-app boot policy: which compose hashes (code) may run on which devices.
/// @notice Deployed behind an ERC1967Proxy; the app id IS the proxy's address. The owner (an EOA,
/// a Safe, a timelock, a DAO) edits the whitelist; the KMS reads it through isAppAllowed.
contract DstackApp is
    Initializable,
    Ownable2StepUpgradeable,
    UUPSUpgradeable,
    ERC165Upgradeable,
    IAppAuth,
    IAppAuthBasicManagement
{
    // PolicyChanged's `policy` topics: keccak256 of the policy's name.
    bytes32 internal constant POLICY_COMPOSE_HASH = keccak256("compose-hash");
    bytes32 internal constant POLICY_DEVICE = keccak256("device");
    bytes32 internal constant POLICY_ALLOW_ANY_DEVICE = keccak256("allow-any-device");
    bytes32 internal constant POLICY_REQUIRE_TCB_UP_TO_DATE = keccak256("require-tcb-up-to-date");
    bytes32 internal constant POLICY_UPGRADES_DISABLED = keccak256("upgrades-disabled");
    bytes32 internal constant POLICY_IMPLEMENTATION_UPGRADE = keccak256("implementation-upgrade");

    mapping(bytes32 => bool) public allowedComposeHashes;
    mapping(bytes32 => bool) public allowedDeviceIds;
    bool public allowAnyDevice;
    bool public requireTcbUpToDate;
    /// Irreversible: once true, _authorizeUpgrade always reverts.
    bool public upgradesDisabled;

    event ComposeHashAdded(bytes32 composeHash);
    event ComposeHashRemoved(bytes32 composeHash);
    event DeviceAdded(bytes32 deviceId);
    event DeviceRemoved(bytes32 deviceId);
    event AllowAnyDeviceSet(bool allowAny);
    event RequireTcbUpToDateSet(bool requireUpToDate);
    event UpgradesDisabled();
    /// One event for every policy change, so an indexer can follow all of them with one filter.
    /// `value` is the hash/device id, the new implementation (left-padded) for upgrades, and zero
    /// for the flags, whose new state is `enabled`.
    event PolicyChanged(address indexed actor, bytes32 indexed policy, bytes32 indexed value, bool enabled);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// Initializes the proxy. A non-zero device id or compose hash is allowed right away.
    function initialize(
        address initialOwner,
        bool disableUpgrades_,
        bool requireTcbUpToDate_,
        bool allowAnyDevice_,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) public initializer {
        _initialize(
            initialOwner, disableUpgrades_, requireTcbUpToDate_, allowAnyDevice_, initialDeviceId, initialComposeHash
        );
    }

    /// The older form: the TCB status is not required to be up to date.
    function initialize(
        address initialOwner,
        bool disableUpgrades_,
        bool allowAnyDevice_,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) public initializer {
        _initialize(initialOwner, disableUpgrades_, false, allowAnyDevice_, initialDeviceId, initialComposeHash);
    }

    function _initialize(
        address initialOwner,
        bool disableUpgrades_,
        bool requireTcbUpToDate_,
        bool allowAnyDevice_,
        bytes32 initialDeviceId,
        bytes32 initialComposeHash
    ) private {
        // Checked before OwnableUpgradeable's own check, so callers see our reason string.
        require(initialOwner != address(0), "invalid owner address");
        __Ownable_init(initialOwner);
        __Ownable2Step_init();
        __UUPSUpgradeable_init();
        __ERC165_init();

        if (initialComposeHash != bytes32(0)) _setComposeHash(initialComposeHash, true);
        if (initialDeviceId != bytes32(0)) _setDevice(initialDeviceId, true);
        if (allowAnyDevice_) _setAllowAnyDevice(true);
        if (requireTcbUpToDate_) _setRequireTcbUpToDate(true);
        if (disableUpgrades_) _disableUpgrades();
    }

    /// The contract's policy version.
    function version() external pure returns (uint256) {
        return 2;
    }

    function addComposeHash(bytes32 composeHash) external onlyOwner {
        _setComposeHash(composeHash, true);
    }

    function removeComposeHash(bytes32 composeHash) external onlyOwner {
        _setComposeHash(composeHash, false);
    }

    function addDevice(bytes32 deviceId) external onlyOwner {
        _setDevice(deviceId, true);
    }

    function removeDevice(bytes32 deviceId) external onlyOwner {
        _setDevice(deviceId, false);
    }

    function setAllowAnyDevice(bool allowAny) external onlyOwner {
        _setAllowAnyDevice(allowAny);
    }

    function setRequireTcbUpToDate(bool requireUpToDate) external onlyOwner {
        _setRequireTcbUpToDate(requireUpToDate);
    }

    /// Makes the current implementation final. Cannot be undone.
    function disableUpgrades() external onlyOwner {
        _disableUpgrades();
    }

    /// Checks in this order, the first failure wins: TCB status (when required), compose hash,
    /// device.
    function isAppAllowed(AppBootInfo calldata bootInfo)
        external
        view
        override
        returns (bool isAllowed, string memory reason)
    {
        if (requireTcbUpToDate && keccak256(bytes(bootInfo.tcbStatus)) != keccak256("UpToDate")) {
            return (false, "TCB status is not up to date");
        }
        if (!allowedComposeHashes[bootInfo.composeHash]) {
            return (false, "Compose hash not allowed");
        }
        if (!allowAnyDevice && !allowedDeviceIds[bootInfo.deviceId]) {
            return (false, "Device not allowed");
        }
        return (true, "");
    }

    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IAppAuth).interfaceId || interfaceId == type(IAppAuthBasicManagement).interfaceId
            || super.supportsInterface(interfaceId);
    }

    function _authorizeUpgrade(address newImplementation) internal override onlyOwner {
        require(!upgradesDisabled, "Upgrades are permanently disabled");
        emit PolicyChanged(
            _msgSender(), POLICY_IMPLEMENTATION_UPGRADE, bytes32(uint256(uint160(newImplementation))), true
        );
    }

    function _setComposeHash(bytes32 composeHash, bool allowed) private {
        allowedComposeHashes[composeHash] = allowed;
        if (allowed) emit ComposeHashAdded(composeHash);
        else emit ComposeHashRemoved(composeHash);
        emit PolicyChanged(_msgSender(), POLICY_COMPOSE_HASH, composeHash, allowed);
    }

    function _setDevice(bytes32 deviceId, bool allowed) private {
        allowedDeviceIds[deviceId] = allowed;
        if (allowed) emit DeviceAdded(deviceId);
        else emit DeviceRemoved(deviceId);
        emit PolicyChanged(_msgSender(), POLICY_DEVICE, deviceId, allowed);
    }

    function _setAllowAnyDevice(bool allowAny) private {
        allowAnyDevice = allowAny;
        emit AllowAnyDeviceSet(allowAny);
        emit PolicyChanged(_msgSender(), POLICY_ALLOW_ANY_DEVICE, bytes32(0), allowAny);
    }

    function _setRequireTcbUpToDate(bool requireUpToDate) private {
        requireTcbUpToDate = requireUpToDate;
        emit RequireTcbUpToDateSet(requireUpToDate);
        emit PolicyChanged(_msgSender(), POLICY_REQUIRE_TCB_UP_TO_DATE, bytes32(0), requireUpToDate);
    }

    function _disableUpgrades() private {
        upgradesDisabled = true;
        emit UpgradesDisabled();
        emit PolicyChanged(_msgSender(), POLICY_UPGRADES_DISABLED, bytes32(0), true);
    }
}
