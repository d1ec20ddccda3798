// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.24;

/// @title The question a KMS asks before releasing keys to a booting CVM.
/// @notice isAppAllowed's selector 0x1e079198 is also this interface's ERC-165 id.
interface IAppAuth {
    /// What the KMS learned from the CVM's attestation.
    struct AppBootInfo {
        address appId;
        bytes32 composeHash;
        address instanceId;
        bytes32 deviceId;
        bytes32 mrAggregated;
        bytes32 mrSystem;
        bytes32 osImageHash;
        string tcbStatus;
        string[] advisoryIds;
    }

    /// Returns (true, "") when the CVM may boot, otherwise (false, a human-readable reason).
    function isAppAllowed(AppBootInfo calldata bootInfo) external view returns (bool isAllowed, string memory reason);
}

/// @title The owner's whitelist operations on an app; ERC-165 id 0x8fd37527.
interface IAppAuthBasicManagement {
    function addComposeHash(bytes32 composeHash) external;
    function removeComposeHash(bytes32 composeHash) external;
    function addDevice(bytes32 deviceId) external;
    function removeDevice(bytes32 deviceId) external;
}
