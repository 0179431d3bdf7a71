// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title DVCT incentive points
/// @notice ERC-20 points that participants deposit into the PointsLedger to fund the rewards of
/// the exchanges they pay for. EIP-2612 permits let a payer fund its pool with one signature.
contract IncentiveToken is ERC20, ERC20Permit, AccessControl {
    /// @notice May create points: gives participants their initial balance.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice Keys of the grants made with mintOnce (e.g. a participant's onboarding).
    mapping(bytes32 key => bool) public minted;

    error AlreadyMinted(bytes32 key);

    constructor(address admin) ERC20("DVCT Points", "DVCTP") ERC20Permit("DVCT Points") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice Mints at most once per `key`, so a minter retrying after a crash cannot grant twice.
    function mintOnce(bytes32 key, address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        if (minted[key]) revert AlreadyMinted(key);
        minted[key] = true;
        _mint(to, amount);
    }
}
