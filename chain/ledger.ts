import type { Account, Address, Chain, Hex, PublicClient, TransactionReceipt, Transport, WalletClient } from 'viem';
import { abi as tokenAbi } from '../contracts/artifacts/IncentiveToken';
import { abi as ledgerAbi } from '../contracts/artifacts/PointsLedger';
import { DvctError } from '../domain/errors';
import { createLogger, type Logger } from '../lib/logger';
import { readAllocationStates, type AllocationKey, type AllocationState } from './allocations';
import type { ChainClients } from './clients';
import type { DeployedContracts } from './deployment';
import { findAllocatedEvent, findExchangeRecords, getExchangeEvents, getLedgerEvents, type LedgerEvent, type LedgerEventSource } from './events';
import { chainKey } from './ids';
import { signDepositPermit, type DepositPermit } from './permit';
import { decodeRevert, toChainError } from './revert';
import { MinedRevertError, submitTransaction } from './send';
import { WriteBatcher } from './write-batcher';

export interface AllocationLine extends AllocationKey {
  amount: bigint;
}

export interface AllocateInput {
  exchangeId: string;
  /** Hash of the DVCT's record of the exchange, anchored so another member can check it. */
  recordHash: Hex;
  /** The verification window: the lines stay revocable this long. */
  holdSeconds: number;
  lines: AllocationLine[];
  nodes: { nodeId: string; contentHash: Hex }[];
}

export interface AllocateResult {
  /** The allocating transaction; on a repeated call the original one when the chain still finds it. */
  txHash: Hex | null;
  alreadyAllocated: boolean;
  /** Unix seconds when the lines become releasable (the recording block's time + holdSeconds). */
  releaseAt: number;
}

export interface ReleaseResult {
  txHash: Hex | null;
  released: AllocationKey[];
  alreadyReleased: AllocationKey[];
  /** Revoked lines are never paid out; they are skipped, not an error. */
  revoked: AllocationKey[];
}

export interface RevokeResult {
  txHash: Hex | null;
  alreadyRevoked: boolean;
  amount: bigint;
}

/** What the ledger's allocate takes for one exchange, in its ABI's shape (also an allocateBatch element). */
interface ExchangeAllocation {
  exchangeId: Hex;
  recordHash: Hex;
  holdSeconds: bigint;
  lines: { payer: Address; recipient: Address; amount: bigint }[];
  nodes: { nodeId: Hex; contentHash: Hex }[];
}

/** What the ledger's release takes for one exchange (also a releaseBatch element). */
interface ExchangeRelease {
  exchangeId: Hex;
  keys: AllocationKey[];
}

/**
 * A batch is sent once it holds this many lines (plus one per exchange for its record): about 3M
 * gas, a tenth of a block on anvil and on Polygon.
 */
const MAX_LINES_PER_TRANSACTION = 120;

const MAX_UINT128 = (1n << 128n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

type AnyWallet = WalletClient<Transport, Chain, Account>;

/**
 * The DVCT's typed view of the points ledger. Every write is idempotent: it reads the chain first
 * and does nothing when the effect is already there, so an activity retried after a crash, a
 * timeout or a lost receipt never pays, releases or revokes twice.
 */
export class Ledger {
  private readonly publicClient: PublicClient<Transport, Chain>;
  private readonly events: LedgerEventSource;
  /** Allocations (and releases) of exchanges that arrive together share one transaction. */
  private readonly allocations: WriteBatcher<ExchangeAllocation>;
  private readonly releases: WriteBatcher<ExchangeRelease>;

  constructor(
    private readonly clients: ChainClients,
    readonly contracts: DeployedContracts,
    private readonly log: Logger = createLogger('chain'),
  ) {
    this.publicClient = clients.publicClient;
    this.events = { publicClient: clients.publicClient, ledger: contracts.ledger, fromBlock: BigInt(contracts.blockNumber) };
    const batching = { windowMs: clients.batchWindowMs, maxWeight: MAX_LINES_PER_TRANSACTION };
    const write = (send: Parameters<AnyWallet['writeContract']>[0]) => this.operatorWrite(() => this.clients.walletClient.writeContract(send));
    const ledger = { address: contracts.ledger, abi: ledgerAbi } as const;
    this.allocations = new WriteBatcher<ExchangeAllocation>(
      {
        sendOne: (e) => write({ ...ledger, functionName: 'allocate', args: [e.exchangeId, e.recordHash, e.holdSeconds, e.lines, e.nodes] }),
        sendMany: (batch) => this.logBatch('allocateBatch', batch, write({ ...ledger, functionName: 'allocateBatch', args: [batch] })),
        weight: (e) => e.lines.length + 1,
      },
      batching,
    );
    this.releases = new WriteBatcher<ExchangeRelease>(
      {
        sendOne: (e) => write({ ...ledger, functionName: 'release', args: [e.exchangeId, e.keys] }),
        sendMany: (batch) => this.logBatch('releaseBatch', batch, write({ ...ledger, functionName: 'releaseBatch', args: [batch] })),
        weight: (e) => e.keys.length + 1,
      },
      batching,
    );
  }

  // ----- allocations -----

  async allocate(input: AllocateInput): Promise<AllocateResult> {
    assertValidAllocation(input);
    const exchangeKey = chainKey(input.exchangeId);
    const existing = await this.existingAllocation(input, exchangeKey);
    if (existing) return existing;

    const lines = input.lines.map(({ payer, recipient, amount }) => ({ payer, recipient, amount }));
    const nodes = input.nodes.map((n) => ({ nodeId: chainKey(n.nodeId), contentHash: n.contentHash }));
    try {
      const receipt = await this.allocations.submit({ exchangeId: exchangeKey, recordHash: input.recordHash, holdSeconds: BigInt(input.holdSeconds), lines, nodes });
      this.log.info({ exchangeId: input.exchangeId, txHash: receipt.transactionHash, lines: lines.length }, 'allocated');
      return {
        txHash: receipt.transactionHash,
        alreadyAllocated: false,
        releaseAt: await this.releaseAtOf(receipt.blockNumber, input.holdSeconds),
      };
    } catch (err) {
      // Another writer may have allocated between our read and our send: the chain decides.
      if (err instanceof MinedRevertError || decodeRevert(err)?.name === 'AllocationExists') {
        const settled = await this.existingAllocation(input, exchangeKey);
        if (settled) return settled;
      }
      throw toChainError(err, { operation: 'allocate', exchangeId: input.exchangeId });
    }
  }

  /** On-chain state of each line, in the order of `keys`, read at one block. */
  readAllocations(exchangeId: string, keys: readonly AllocationKey[]): Promise<AllocationState[]> {
    return readAllocationStates(this.publicClient, this.contracts.ledger, chainKey(exchangeId), keys);
  }

  /**
   * Pays out the lines whose window has ended. Lines already released or revoked are skipped;
   * a line still held throws AllocationStillHeldError (retryable: call again after releaseAt).
   */
  async release(exchangeId: string, keys: readonly AllocationKey[]): Promise<ReleaseResult> {
    return this.releaseOnce(exchangeId, keys, true);
  }

  private async releaseOnce(exchangeId: string, keys: readonly AllocationKey[], mayRetry: boolean): Promise<ReleaseResult> {
    const states = await this.readAllocations(exchangeId, keys);
    const missing = states.filter((s) => s.status === 'none');
    if (missing.length > 0) {
      throw new DvctError('NOT_FOUND', `Exchange ${exchangeId} has no allocation for ${missing.length} of the lines to release`, {
        exchangeId,
        missing: missing.map(keyOf),
      });
    }
    const due = states.filter((s) => s.status === 'allocated').map(keyOf);
    const result: ReleaseResult = {
      txHash: null,
      released: due,
      alreadyReleased: states.filter((s) => s.status === 'released').map(keyOf),
      revoked: states.filter((s) => s.status === 'revoked').map(keyOf),
    };
    if (due.length === 0) return result;
    try {
      const receipt = await this.releases.submit({ exchangeId: chainKey(exchangeId), keys: due });
      this.log.info({ exchangeId, txHash: receipt.transactionHash, lines: due.length }, 'released');
      return { ...result, txHash: receipt.transactionHash };
    } catch (err) {
      // A recipient may release its own line at the same moment: look again, once.
      const name = decodeRevert(err)?.name;
      if (mayRetry && (err instanceof MinedRevertError || name === 'AlreadyReleased' || name === 'AlreadyRevoked')) {
        return this.releaseOnce(exchangeId, keys, false);
      }
      throw toChainError(err, { operation: 'release', exchangeId });
    }
  }

  /** Rolls back one held line into the payer's deposit. A released line can no longer be revoked. */
  revoke(exchangeId: string, payer: Address, recipient: Address, reason: string): Promise<RevokeResult> {
    return this.revokeOnce(exchangeId, { payer, recipient }, reason, true);
  }

  private async revokeOnce(exchangeId: string, key: AllocationKey, reason: string, mayRetry: boolean): Promise<RevokeResult> {
    const context = { operation: 'revoke', exchangeId, ...key };
    const [state] = await this.readAllocations(exchangeId, [key]);
    if (!state || state.status === 'none') {
      throw new DvctError('NOT_FOUND', `Exchange ${exchangeId} has no allocation from ${key.payer} to ${key.recipient}`, context);
    }
    if (state.status === 'revoked') return { txHash: null, alreadyRevoked: true, amount: state.amount };
    if (state.status === 'released') {
      throw new DvctError('ALLOCATION_RELEASED', `The allocation of exchange ${exchangeId} to ${key.recipient} was already released`, context);
    }
    try {
      const receipt = await this.operatorWrite(() =>
        this.clients.walletClient.writeContract({
          address: this.contracts.ledger,
          abi: ledgerAbi,
          functionName: 'revoke',
          args: [chainKey(exchangeId), key.payer, key.recipient, reason],
        }),
      );
      this.log.info({ ...context, txHash: receipt.transactionHash, reason }, 'revoked');
      return { txHash: receipt.transactionHash, alreadyRevoked: false, amount: state.amount };
    } catch (err) {
      // The recipient may have released, or another writer revoked, since the read: look again, once.
      const name = decodeRevert(err)?.name;
      if (mayRetry && (err instanceof MinedRevertError || name === 'AlreadyRevoked' || name === 'AlreadyReleased')) {
        return this.revokeOnce(exchangeId, key, reason, false);
      }
      throw toChainError(err, context);
    }
  }

  // ----- points and deposits -----

  async mint(to: Address, amount: bigint): Promise<Hex> {
    try {
      const receipt = await this.operatorWrite(() =>
        this.clients.walletClient.writeContract({ address: this.contracts.token, abi: tokenAbi, functionName: 'mint', args: [to, amount] }),
      );
      return receipt.transactionHash;
    } catch (err) {
      throw toChainError(err, { operation: 'mint', to });
    }
  }

  /** Mints at most once per `grantId` (e.g. "onboarding:<participant>"); a repeat returns txHash null. */
  async mintOnce(grantId: string, to: Address, amount: bigint): Promise<{ txHash: Hex | null }> {
    const key = chainKey(grantId);
    const minted = await this.publicClient.readContract({ address: this.contracts.token, abi: tokenAbi, functionName: 'minted', args: [key] });
    if (minted) return { txHash: null };
    try {
      const receipt = await this.operatorWrite(() =>
        this.clients.walletClient.writeContract({ address: this.contracts.token, abi: tokenAbi, functionName: 'mintOnce', args: [key, to, amount] }),
      );
      return { txHash: receipt.transactionHash };
    } catch (err) {
      if (decodeRevert(err)?.name === 'AlreadyMinted') return { txHash: null };
      throw toChainError(err, { operation: 'mintOnce', grantId, to });
    }
  }

  depositOf(payer: Address): Promise<bigint> {
    return this.publicClient.readContract({ address: this.contracts.ledger, abi: ledgerAbi, functionName: 'deposits', args: [payer] });
  }

  tokenBalanceOf(owner: Address): Promise<bigint> {
    return this.publicClient.readContract({ address: this.contracts.token, abi: tokenAbi, functionName: 'balanceOf', args: [owner] });
  }

  ledgerTokenBalance(): Promise<bigint> {
    return this.tokenBalanceOf(this.contracts.ledger);
  }

  /** A payer funds its pool itself (approve, then deposit), signing with its own wallet. */
  async depositFrom(payerWallet: AnyWallet, amount: bigint): Promise<Hex> {
    const context = { operation: 'deposit', payer: payerWallet.account.address };
    try {
      await submitTransaction(
        this.publicClient,
        payerWallet,
        () => payerWallet.writeContract({ address: this.contracts.token, abi: tokenAbi, functionName: 'approve', args: [this.contracts.ledger, amount] }),
        this.clients.finalityMs,
      );
      const receipt = await submitTransaction(
        this.publicClient,
        payerWallet,
        () => payerWallet.writeContract({ address: this.contracts.ledger, abi: ledgerAbi, functionName: 'deposit', args: [amount] }),
        this.clients.finalityMs,
      );
      return receipt.transactionHash;
    } catch (err) {
      throw toChainError(err, context);
    }
  }

  /** The payer signs off-chain; deadline in unix seconds. */
  signDepositPermit(ownerWallet: AnyWallet, amount: bigint, deadline: bigint): Promise<DepositPermit> {
    return signDepositPermit({ publicClient: this.publicClient, ownerWallet, token: this.contracts.token, ledger: this.contracts.ledger, amount, deadline });
  }

  /** Submits a payer's permit; the DVCT signer pays the gas unless another wallet is given. */
  async depositWithPermit(permit: DepositPermit, submitter: AnyWallet = this.clients.walletClient): Promise<Hex> {
    try {
      const receipt = await submitTransaction(this.publicClient, submitter, () =>
        submitter.writeContract({
          address: this.contracts.ledger,
          abi: ledgerAbi,
          functionName: 'depositWithPermit',
          args: [permit.owner, permit.amount, permit.deadline, permit.v, permit.r, permit.s],
        }),
        this.clients.finalityMs,
      );
      return receipt.transactionHash;
    } catch (err) {
      throw toChainError(err, { operation: 'depositWithPermit', owner: permit.owner });
    }
  }

  // ----- audit trail -----

  /** The DVCT audit trail's newest head on chain (seq 0: none anchored yet). */
  async auditAnchor(): Promise<{ seq: number; head: Hex }> {
    const read = <F extends 'auditSeq' | 'auditHead'>(functionName: F) =>
      this.publicClient.readContract({ address: this.contracts.ledger, abi: ledgerAbi, functionName });
    const [seq, head] = await Promise.all([read('auditSeq'), read('auditHead')]);
    return { seq: Number(seq), head };
  }

  /**
   * Writes the audit trail's head (the hash of entry `seq`) on chain. Heads only move forward: one
   * at or below the anchored seq is not sent; when it is the one anchored (a retry after a lost
   * receipt), its original transaction is returned.
   */
  async anchorAudit(head: Hex, seq: number): Promise<{ txHash: Hex | null }> {
    const anchored = async () => {
      const [event] = await this.publicClient.getContractEvents({
        address: this.contracts.ledger,
        abi: ledgerAbi,
        eventName: 'AuditAnchored',
        args: { seq: BigInt(seq) },
        fromBlock: BigInt(this.contracts.blockNumber),
      });
      return { txHash: event && event.args.head === head ? event.transactionHash : null };
    };
    if ((await this.auditAnchor()).seq >= seq) return anchored();
    try {
      const receipt = await this.operatorWrite(() =>
        this.clients.walletClient.writeContract({ address: this.contracts.ledger, abi: ledgerAbi, functionName: 'anchorAudit', args: [head, BigInt(seq)] }),
      );
      this.log.info({ seq, head, txHash: receipt.transactionHash }, 'audit head anchored');
      return { txHash: receipt.transactionHash };
    } catch (err) {
      // Another writer anchored this seq (or a later one) between the read and the send.
      if ((err instanceof MinedRevertError || decodeRevert(err)?.name === 'StaleAuditAnchor') && (await this.auditAnchor()).seq >= seq) return anchored();
      throw toChainError(err, { operation: 'anchorAudit', seq });
    }
  }

  // ----- events -----

  getExchangeEvents(exchangeId: string): Promise<LedgerEvent[]> {
    return getExchangeEvents(this.events, chainKey(exchangeId));
  }

  getLedgerEvents(range: { fromBlock?: bigint; toBlock?: bigint } = {}): Promise<LedgerEvent[]> {
    return getLedgerEvents(this.events, range);
  }

  // ----- internals -----

  private operatorWrite(send: () => Promise<Hex>): Promise<TransactionReceipt> {
    return submitTransaction(this.publicClient, this.clients.walletClient, send, this.clients.finalityMs);
  }

  /** A batch that fails is sent again entry by entry (WriteBatcher); the log says why it failed. */
  private logBatch<T>(kind: string, batch: readonly ExchangeAllocation[] | readonly ExchangeRelease[], sent: Promise<T>): Promise<T> {
    return sent.then(
      (result) => {
        this.log.debug({ kind, exchanges: batch.length }, 'batch sent');
        return result;
      },
      (err: unknown) => {
        this.log.warn({ kind, exchanges: batch.length, reason: decodeRevert(err)?.name ?? (err instanceof Error ? err.message : String(err)) }, 'batch failed; its exchanges are sent one by one');
        throw err;
      },
    );
  }

  private async releaseAtOf(blockNumber: bigint, holdSeconds: number): Promise<number> {
    const block = await this.publicClient.getBlock({ blockNumber });
    return Number(block.timestamp) + holdSeconds;
  }

  /**
   * The result of an earlier identical allocate, if there was one; ALLOCATION_CONFLICT if the
   * chain holds something else for these lines; undefined if nothing was allocated yet.
   */
  private async existingAllocation(input: AllocateInput, exchangeKey: Hex): Promise<AllocateResult | undefined> {
    if (input.lines.length === 0) {
      // Without lines only the recorded hash tells that this exchange was recorded before.
      const records = await findExchangeRecords(this.events, exchangeKey);
      const same = records.find((r) => r.kind === 'ExchangeRecorded' && r.recordHash === input.recordHash);
      if (!same) return undefined;
      return { txHash: same.txHash, alreadyAllocated: true, releaseAt: await this.releaseAtOf(same.blockNumber, input.holdSeconds) };
    }

    const states = await this.readAllocations(input.exchangeId, input.lines);
    const present = states.filter((s) => s.status !== 'none');
    if (present.length === 0) return undefined;
    const differing = input.lines.filter((line, i) => states[i]?.amount !== line.amount);
    if (present.length < states.length || differing.length > 0) {
      throw new DvctError('ALLOCATION_CONFLICT', `Exchange ${input.exchangeId} is already allocated on chain with other lines`, {
        exchangeId: input.exchangeId,
        requested: input.lines.map((l) => ({ ...keyOf(l), amount: l.amount.toString() })),
        onChain: states.map((s) => ({ ...keyOf(s), amount: s.amount.toString(), status: s.status })),
      });
    }
    const first = input.lines[0]!;
    const original = await findAllocatedEvent(this.events, exchangeKey, first).catch((err: unknown) => {
      // Some RPCs refuse long log ranges; the hash is a convenience, the state above is the answer.
      this.log.warn({ exchangeId: input.exchangeId, err }, 'could not look up the original allocation transaction');
      return undefined;
    });
    return {
      txHash: original?.txHash ?? null,
      alreadyAllocated: true,
      releaseAt: Math.max(...states.map((s) => s.releaseAt)),
    };
  }
}

function keyOf(line: AllocationKey): AllocationKey {
  return { payer: line.payer, recipient: line.recipient };
}

function assertValidAllocation(input: AllocateInput): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(input.holdSeconds) || input.holdSeconds < 0 || BigInt(input.holdSeconds) > MAX_UINT64) {
    problems.push('holdSeconds must be a non-negative whole number of seconds');
  }
  const seen = new Set<string>();
  for (const line of input.lines) {
    if (line.amount <= 0n || line.amount > MAX_UINT128) problems.push(`amount ${line.amount} to ${line.recipient} is out of range`);
    const key = `${line.payer.toLowerCase()}:${line.recipient.toLowerCase()}`;
    if (seen.has(key)) problems.push(`${line.payer} → ${line.recipient} appears twice; merge the lines`);
    seen.add(key);
  }
  if (problems.length > 0) {
    throw new DvctError('VALIDATION_FAILED', `Invalid allocation for exchange ${input.exchangeId}: ${problems.join('; ')}`, {
      exchangeId: input.exchangeId,
      problems,
    });
  }
}
