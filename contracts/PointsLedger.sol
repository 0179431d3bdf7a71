// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title DVCT points ledger
/// @notice Holds payers' deposits and the points allocated to recipients per exchange. An
/// allocation stays revocable (back to the payer's deposit) until its hold ends; after that the
/// operator or the recipient releases it as a token transfer.
/// @dev Invariant: token.balanceOf(this) == sum(deposits) + sum(amount of Allocated allocations).
/// Allocation cost matters (one exchange, two recipients, two node anchors must stay under 100k
/// gas), so an allocation is exactly one storage slot and there are no per-recipient totals.
contract PointsLedger is AccessControl {
    using SafeERC20 for IERC20;

    /// @notice The DVCT signer: allocates, revokes and releases.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    enum Status {
        None,
        Allocated,
        Released,
        Revoked
    }

    /// @dev 128 + 64 + 8 bits: one slot.
    struct Allocation {
        uint128 amount;
        uint64 releaseAt;
        Status status;
    }

    struct Line {
        address payer;
        address recipient;
        uint128 amount;
    }

    struct LineKey {
        address payer;
        address recipient;
    }

    struct NodeAnchor {
        bytes32 nodeId;
        bytes32 contentHash;
    }

    /// @notice One exchange's part of an allocateBatch: exactly what allocate takes.
    struct ExchangeAllocation {
        bytes32 exchangeId;
        bytes32 recordHash;
        uint64 holdSeconds;
        Line[] lines;
        NodeAnchor[] nodes;
    }

    /// @notice One exchange's part of a releaseBatch: exactly what release takes.
    struct ExchangeRelease {
        bytes32 exchangeId;
        LineKey[] keys;
    }

    IERC20 public immutable token;

    mapping(address payer => uint256) public deposits;

    mapping(bytes32 exchangeId => mapping(address payer => mapping(address recipient => Allocation))) private _allocations;

    /// @notice The DVCT audit trail's newest anchored entry and its hash (see anchorAudit).
    uint64 public auditSeq;
    bytes32 public auditHead;

    event Deposited(address indexed payer, uint256 amount);
    event Withdrawn(address indexed payer, uint256 amount);
    event ExchangeRecorded(bytes32 indexed exchangeId, bytes32 recordHash);
    event NodeAnchored(bytes32 indexed nodeId, bytes32 indexed exchangeId, bytes32 contentHash);
    event Allocated(
        bytes32 indexed exchangeId, address indexed payer, address indexed recipient, uint256 amount, uint64 releaseAt
    );
    event Released(bytes32 indexed exchangeId, address indexed payer, address indexed recipient, uint256 amount);
    event Revoked(
        bytes32 indexed exchangeId, address indexed payer, address indexed recipient, uint256 amount, string reason
    );
    event AuditAnchored(uint64 indexed seq, bytes32 head);

    error ZeroAmount();
    error ZeroRecipient();
    error InvalidPermit(address owner);
    error InsufficientDeposit(address payer, uint256 needed, uint256 available);
    error AllocationExists(bytes32 exchangeId, address payer, address recipient);
    error NotAllocated(bytes32 exchangeId, address payer, address recipient);
    error AlreadyReleased(bytes32 exchangeId, address payer, address recipient);
    error AlreadyRevoked(bytes32 exchangeId, address payer, address recipient);
    error StillHeld(uint64 releaseAt);
    error NotOperatorOrRecipient(address caller, address recipient);
    error StaleAuditAnchor(uint64 seq, uint64 anchoredSeq);

    constructor(IERC20 token_, address admin) {
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ----- deposits -----

    /// @notice Credits the caller with `amount` points pulled from its balance (approve first).
    function deposit(uint256 amount) external {
        _deposit(msg.sender, amount);
    }

    /// @notice Credits `owner` with `amount` points using its EIP-2612 permit; anyone may submit.
    /// @dev The permit's spender is this ledger and the credited payer is its signer, for exactly
    /// the signed amount, so a permit cannot fund another pool or another payer. A permit that a
    /// front-runner already submitted fails here; the allowance it left is then used instead.
    function depositWithPermit(address owner, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
    {
        try IERC20Permit(address(token)).permit(owner, address(this), amount, deadline, v, r, s) {}
        catch {
            if (token.allowance(owner, address(this)) < amount) revert InvalidPermit(owner);
        }
        _deposit(owner, amount);
    }

    /// @notice Returns unallocated points to the caller; only ever the caller's own deposit.
    function withdraw(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 available = deposits[msg.sender];
        if (available < amount) revert InsufficientDeposit(msg.sender, amount, available);
        unchecked {
            deposits[msg.sender] = available - amount;
        }
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    function _deposit(address payer, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        deposits[payer] += amount;
        emit Deposited(payer, amount);
        token.safeTransferFrom(payer, address(this), amount);
    }

    // ----- allocations -----

    /// @notice Records one exchange: its record hash, the content hash of each lineage node, and
    /// the points each payer owes each recipient, held for `holdSeconds`.
    /// @dev A (exchange, payer, recipient) allocation can be made once, ever: an operator retrying
    /// after a crash gets AllocationExists instead of paying twice.
    function allocate(
        bytes32 exchangeId,
        bytes32 recordHash,
        uint64 holdSeconds,
        Line[] calldata lines,
        NodeAnchor[] calldata nodes
    ) external onlyRole(OPERATOR_ROLE) {
        _allocate(exchangeId, recordHash, holdSeconds, lines, nodes);
    }

    /// @notice Records several exchanges in one transaction, each exactly as allocate would (same
    /// events, same one-slot allocations, each line revocable on its own). All or nothing: one
    /// exchange that cannot be allocated reverts the batch, and the operator sends the others alone.
    function allocateBatch(ExchangeAllocation[] calldata batch) external onlyRole(OPERATOR_ROLE) {
        for (uint256 i; i < batch.length; ++i) {
            ExchangeAllocation calldata e = batch[i];
            _allocate(e.exchangeId, e.recordHash, e.holdSeconds, e.lines, e.nodes);
        }
    }

    function _allocate(
        bytes32 exchangeId,
        bytes32 recordHash,
        uint64 holdSeconds,
        Line[] calldata lines,
        NodeAnchor[] calldata nodes
    ) private {
        emit ExchangeRecorded(exchangeId, recordHash);
        for (uint256 i; i < nodes.length; ++i) {
            emit NodeAnchored(nodes[i].nodeId, exchangeId, nodes[i].contentHash);
        }

        uint64 releaseAt = uint64(block.timestamp) + holdSeconds;
        // Consecutive lines of one payer debit a cached balance: one deposit write per payer run.
        address payer;
        uint256 available;
        for (uint256 i; i < lines.length; ++i) {
            Line calldata line = lines[i];
            if (line.amount == 0) revert ZeroAmount();
            if (line.recipient == address(0)) revert ZeroRecipient();
            if (line.payer != payer) {
                if (payer != address(0)) deposits[payer] = available;
                payer = line.payer;
                available = deposits[payer];
            }
            Allocation storage slot = _allocations[exchangeId][payer][line.recipient];
            if (slot.status != Status.None) revert AllocationExists(exchangeId, payer, line.recipient);
            if (available < line.amount) revert InsufficientDeposit(payer, line.amount, available);
            unchecked {
                available -= line.amount;
            }
            slot.amount = line.amount;
            slot.releaseAt = releaseAt;
            slot.status = Status.Allocated;
            emit Allocated(exchangeId, payer, line.recipient, line.amount, releaseAt);
        }
        if (payer != address(0)) deposits[payer] = available;
    }

    /// @notice Takes back a held allocation into the payer's deposit (rollback of a wrong award).
    function revoke(bytes32 exchangeId, address payer, address recipient, string calldata reason)
        external
        onlyRole(OPERATOR_ROLE)
    {
        Allocation storage slot = _allocations[exchangeId][payer][recipient];
        _requireAllocated(slot.status, exchangeId, payer, recipient);
        uint128 amount = slot.amount;
        slot.status = Status.Revoked;
        deposits[payer] += amount;
        emit Revoked(exchangeId, payer, recipient, amount, reason);
    }

    /// @notice Pays out allocations whose hold has ended. The operator may release any line; a
    /// recipient may release its own.
    function release(bytes32 exchangeId, LineKey[] calldata keys) external {
        _release(exchangeId, keys, hasRole(OPERATOR_ROLE, msg.sender));
    }

    /// @notice Releases several exchanges' lines in one transaction, each exactly as release would.
    /// All or nothing, like allocateBatch.
    function releaseBatch(ExchangeRelease[] calldata batch) external {
        bool operator = hasRole(OPERATOR_ROLE, msg.sender);
        for (uint256 i; i < batch.length; ++i) {
            _release(batch[i].exchangeId, batch[i].keys, operator);
        }
    }

    function _release(bytes32 exchangeId, LineKey[] calldata keys, bool operator) private {
        for (uint256 i; i < keys.length; ++i) {
            address payer = keys[i].payer;
            address recipient = keys[i].recipient;
            if (!operator && msg.sender != recipient) revert NotOperatorOrRecipient(msg.sender, recipient);
            Allocation storage slot = _allocations[exchangeId][payer][recipient];
            _requireAllocated(slot.status, exchangeId, payer, recipient);
            if (block.timestamp < slot.releaseAt) revert StillHeld(slot.releaseAt);
            uint128 amount = slot.amount;
            slot.status = Status.Released;
            emit Released(exchangeId, payer, recipient, amount);
            token.safeTransfer(recipient, amount);
        }
    }

    // ----- audit trail -----

    /// @notice Writes the head of the DVCT's audit trail: `head` is the hash of its entry `seq`, and
    /// every entry's hash covers the one before. A trail edited, shortened or rebuilt after this no
    /// longer reproduces `head` at `seq`. Heads only move forward, so an older one cannot replace it.
    function anchorAudit(bytes32 head, uint64 seq) external onlyRole(OPERATOR_ROLE) {
        if (seq <= auditSeq) revert StaleAuditAnchor(seq, auditSeq);
        auditSeq = seq;
        auditHead = head;
        emit AuditAnchored(seq, head);
    }

    function allocationOf(bytes32 exchangeId, address payer, address recipient)
        external
        view
        returns (uint128 amount, uint64 releaseAt, uint8 status)
    {
        Allocation storage slot = _allocations[exchangeId][payer][recipient];
        return (slot.amount, slot.releaseAt, uint8(slot.status));
    }

    function _requireAllocated(Status status, bytes32 exchangeId, address payer, address recipient) private pure {
        if (status == Status.Allocated) return;
        if (status == Status.Released) revert AlreadyReleased(exchangeId, payer, recipient);
        if (status == Status.Revoked) revert AlreadyRevoked(exchangeId, payer, recipient);
        revert NotAllocated(exchangeId, payer, recipient);
    }
}
