/**
 * A plain-TypeScript model of PointsLedger + token balances: what every operation should do, and
 * which custom error it must revert with, checked in the same order as the contract checks.
 */
export type Status = 'none' | 'allocated' | 'released' | 'revoked';

export interface ModelAllocation {
  amount: bigint;
  status: Status;
  /** Model clock (seconds of time travel) from which the line is releasable. */
  releasableAt: number;
}

/** A line either by its coordinates or as the n-th line ever allocated (so runs hit real allocations). */
export type Target = { existing: number } | LineRef;
export interface LineRef {
  exchange: number;
  payer: number;
  recipient: number;
}

type GeneratedRelease = { kind: 'release'; exchange: number; targets: Target[]; by: 'operator' | number };

/** What the generator draws; `resolve` turns it into an Op against the current state. */
export type GeneratedOp =
  | Exclude<Op, { kind: 'revoke' | 'release' | 'releaseBatch' }>
  | { kind: 'revoke'; target: Target }
  | GeneratedRelease
  | { kind: 'releaseBatch'; entries: Omit<GeneratedRelease, 'by' | 'kind'>[]; by: 'operator' | number };

type AllocateOp = { kind: 'allocate'; exchange: number; hold: number; lines: { payer: number; recipient: number; amount: bigint }[] };
type ReleaseOp = { kind: 'release'; exchange: number; keys: { payer: number; recipient: number }[]; by: 'operator' | number };

export type Op =
  | { kind: 'deposit'; payer: number; amount: bigint }
  | { kind: 'withdraw'; payer: number; amount: bigint }
  | AllocateOp
  /** Several exchanges' allocations in one transaction: each as allocate, all or nothing. */
  | { kind: 'allocateBatch'; entries: AllocateOp[] }
  | { kind: 'revoke'; exchange: number; payer: number; recipient: number }
  | ReleaseOp
  /** Several exchanges' releases in one transaction, by one caller: each as release, all or nothing. */
  | { kind: 'releaseBatch'; entries: ReleaseOp[]; by: 'operator' | number }
  | { kind: 'timeTravel'; seconds: number };

export class LedgerModel {
  readonly deposits: bigint[];
  readonly payerBalances: bigint[];
  readonly recipientBalances: bigint[];
  readonly allocations = new Map<string, ModelAllocation>();
  clock = 0;

  constructor(payers: number, recipients: number, initialBalance: bigint) {
    this.deposits = Array.from({ length: payers }, () => 0n);
    this.payerBalances = Array.from({ length: payers }, () => initialBalance);
    this.recipientBalances = Array.from({ length: recipients }, () => 0n);
  }

  /** Lines ever allocated, in order (a revoke or release does not remove them). */
  private readonly allocatedLines: LineRef[] = [];

  resolve(op: GeneratedOp): Op {
    const locate = (t: Target): LineRef => {
      if (!('existing' in t)) return t;
      return this.allocatedLines[t.existing % this.allocatedLines.length] ?? { exchange: 0, payer: 0, recipient: 0 };
    };
    if (op.kind === 'revoke') return { kind: 'revoke', ...locate(op.target) };
    const release = (r: Omit<GeneratedRelease, 'by' | 'kind'>, by: 'operator' | number): ReleaseOp => {
      // Lines of one release share an exchange: the first target decides which.
      const lines = r.targets.map(locate);
      const exchange = lines[0]?.exchange ?? r.exchange;
      return { kind: 'release', exchange, by, keys: lines.map(({ payer, recipient }) => ({ payer, recipient })) };
    };
    if (op.kind === 'release') return release(op, op.by);
    if (op.kind === 'releaseBatch') return { kind: 'releaseBatch', by: op.by, entries: op.entries.map((e) => release(e, op.by)) };
    return op;
  }

  static key(exchange: number, payer: number, recipient: number): string {
    return `${exchange}/${payer}/${recipient}`;
  }

  allocation(exchange: number, payer: number, recipient: number): ModelAllocation {
    return this.allocations.get(LedgerModel.key(exchange, payer, recipient)) ?? { amount: 0n, status: 'none', releasableAt: 0 };
  }

  outstanding(): bigint {
    let sum = 0n;
    for (const a of this.allocations.values()) if (a.status === 'allocated') sum += a.amount;
    return sum;
  }

  /** Applies `op` if the contract would accept it; returns the custom error name it must revert with otherwise. */
  apply(op: Op): string | undefined {
    switch (op.kind) {
      case 'allocateBatch':
        return this.atomically(op.entries);
      case 'releaseBatch':
        return this.atomically(op.entries);
      case 'deposit': {
        if (op.amount === 0n) return 'ZeroAmount';
        if (this.payerBalances[op.payer]! < op.amount) return 'ERC20InsufficientBalance';
        this.payerBalances[op.payer]! -= op.amount;
        this.deposits[op.payer]! += op.amount;
        return undefined;
      }
      case 'withdraw': {
        if (op.amount === 0n) return 'ZeroAmount';
        if (this.deposits[op.payer]! < op.amount) return 'InsufficientDeposit';
        this.deposits[op.payer]! -= op.amount;
        this.payerBalances[op.payer]! += op.amount;
        return undefined;
      }
      case 'allocate': {
        const deposits = [...this.deposits];
        const added = new Map<string, ModelAllocation>();
        for (const line of op.lines) {
          if (line.amount === 0n) return 'ZeroAmount';
          const key = LedgerModel.key(op.exchange, line.payer, line.recipient);
          if (added.has(key) || this.allocation(op.exchange, line.payer, line.recipient).status !== 'none') return 'AllocationExists';
          if (deposits[line.payer]! < line.amount) return 'InsufficientDeposit';
          deposits[line.payer]! -= line.amount;
          added.set(key, { amount: line.amount, status: 'allocated', releasableAt: this.clock + op.hold });
        }
        deposits.forEach((d, i) => (this.deposits[i] = d));
        for (const [key, a] of added) this.allocations.set(key, a);
        for (const line of op.lines) this.allocatedLines.push({ exchange: op.exchange, payer: line.payer, recipient: line.recipient });
        return undefined;
      }
      case 'revoke': {
        const a = this.allocation(op.exchange, op.payer, op.recipient);
        const refused = statusError(a.status);
        if (refused) return refused;
        a.status = 'revoked';
        this.deposits[op.payer]! += a.amount;
        return undefined;
      }
      case 'release': {
        const lines: ModelAllocation[] = [];
        for (const k of op.keys) {
          if (op.by !== 'operator' && op.by !== k.recipient) return 'NotOperatorOrRecipient';
          const a = this.allocation(op.exchange, k.payer, k.recipient);
          const refused = statusError(lines.includes(a) ? 'released' : a.status);
          if (refused) return refused;
          if (this.clock < a.releasableAt) return 'StillHeld';
          lines.push(a);
        }
        op.keys.forEach((k, i) => {
          const a = lines[i]!;
          a.status = 'released';
          this.recipientBalances[k.recipient]! += a.amount;
        });
        return undefined;
      }
      case 'timeTravel':
        this.clock += op.seconds;
        return undefined;
    }
  }

  /** The ops one after another, as one transaction: the first refusal undoes the others. */
  private atomically(ops: readonly Op[]): string | undefined {
    const saved = {
      deposits: [...this.deposits],
      recipientBalances: [...this.recipientBalances],
      allocations: new Map([...this.allocations].map(([k, a]) => [k, { ...a }])),
      allocatedLines: this.allocatedLines.length,
    };
    for (const op of ops) {
      const refused = this.apply(op);
      if (!refused) continue;
      saved.deposits.forEach((d, i) => (this.deposits[i] = d));
      saved.recipientBalances.forEach((b, i) => (this.recipientBalances[i] = b));
      this.allocations.clear();
      for (const [k, a] of saved.allocations) this.allocations.set(k, a);
      this.allocatedLines.length = saved.allocatedLines;
      return refused;
    }
    return undefined;
  }
}

function statusError(status: Status): string | undefined {
  if (status === 'released') return 'AlreadyReleased';
  if (status === 'revoked') return 'AlreadyRevoked';
  if (status === 'none') return 'NotAllocated';
  return undefined;
}
