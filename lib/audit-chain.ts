import { createHash } from 'node:crypto';
import { canonicalJson } from './record-hash';

/**
 * The audit trail's hash chain. Each entry's hash covers its content and the previous entry's hash:
 *
 *   hash(n) = sha256(canonicalJson(content(n)) + hash(n-1)),   hash(0) = 64 zeros
 *
 * so editing a row changes its hash (and no longer matches what the next row chained to), and
 * deleting a row leaves a gap in `seq` and a next row chained to a hash nobody has. Deleting the
 * newest rows leaves a shorter but valid chain: the head anchored on chain catches that.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** What an entry's hash covers: everything but the chain fields themselves. */
export interface AuditContent {
  seq: number;
  at: Date;
  actor: string;
  keyId: string | null;
  action: string;
  object: string;
  before: unknown;
  after: unknown;
  workflowId: string | null;
  txHash: string | null;
  requestId: string | null;
}

export interface ChainedAuditEntry extends AuditContent {
  prevHash: string;
  hash: string;
}

export interface ChainLink {
  seq: number;
  hash: string;
}

export function auditHash(content: AuditContent, prevHash: string): string {
  const covered = {
    seq: content.seq,
    at: content.at.toISOString(),
    actor: content.actor,
    keyId: content.keyId,
    action: content.action,
    object: content.object,
    before: content.before ?? null,
    after: content.after ?? null,
    workflowId: content.workflowId,
    txHash: content.txHash,
    requestId: content.requestId,
  };
  return createHash('sha256').update(canonicalJson(covered) + prevHash).digest('hex');
}

/** The entry that follows `previous` (null: the first one). */
export function chainEntry(content: Omit<AuditContent, 'seq'>, previous: ChainLink | null): ChainedAuditEntry {
  const seq = (previous?.seq ?? 0) + 1;
  const prevHash = previous?.hash ?? GENESIS_HASH;
  const entry = { ...content, seq };
  return { ...entry, prevHash, hash: auditHash(entry, prevHash) };
}

export interface ChainBreak {
  seq: number;
  reason: 'edited' | 'missing' | 'relinked' | 'anchor-mismatch' | 'truncated';
  detail: string;
}

/**
 * Checks entries fed in seq order, page after page; remembers the first break. The first entry
 * fed must be seq 1 (a verification always starts from the beginning: every hash depends on it).
 */
export class ChainVerifier {
  private last: ChainLink | null = null;
  private broken: ChainBreak | null = null;
  private count = 0;
  /** The hash each anchored seq must have, checked as the entries go by. */
  private readonly anchors: Map<number, string>;

  constructor(anchors: readonly { seq: number; head: string }[] = []) {
    this.anchors = new Map(anchors.map((a) => [a.seq, a.head]));
  }

  feed(entries: readonly ChainedAuditEntry[]): void {
    for (const e of entries) {
      this.count++;
      if (this.broken) continue;
      const expectedSeq = (this.last?.seq ?? 0) + 1;
      const expectedPrev = this.last?.hash ?? GENESIS_HASH;
      if (e.seq !== expectedSeq) {
        this.broken = { seq: expectedSeq, reason: 'missing', detail: `entry ${expectedSeq} is missing: the next one is ${e.seq}` };
      } else if (auditHash(e, e.prevHash) !== e.hash) {
        this.broken = { seq: e.seq, reason: 'edited', detail: `entry ${e.seq}'s content does not match its hash: it was changed after it was written` };
      } else if (e.prevHash !== expectedPrev) {
        // Most likely entry seq-1 was rewritten with a fresh hash, which its successor does not chain to.
        this.broken = {
          seq: e.seq - 1,
          reason: 'relinked',
          detail: `entry ${e.seq} is chained to ${e.prevHash}, but entry ${e.seq - 1} has hash ${expectedPrev}: entry ${e.seq - 1} was rewritten (or ${e.seq} relinked)`,
        };
      } else if (this.anchors.has(e.seq) && this.anchors.get(e.seq) !== e.hash) {
        this.broken = { seq: e.seq, reason: 'anchor-mismatch', detail: `entry ${e.seq} has hash ${e.hash}, but the chain anchored ${this.anchors.get(e.seq)} for it` };
      }
      this.last = { seq: e.seq, hash: e.hash };
    }
  }

  result(): { ok: boolean; checked: number; head: ChainLink | null; firstBroken: ChainBreak | null } {
    let firstBroken = this.broken;
    const anchoredBeyond = Math.max(0, ...this.anchors.keys());
    if (!firstBroken && anchoredBeyond > (this.last?.seq ?? 0)) {
      firstBroken = {
        seq: (this.last?.seq ?? 0) + 1,
        reason: 'truncated',
        detail: `the trail ends at entry ${this.last?.seq ?? 0}, but entry ${anchoredBeyond} was anchored on chain: newer entries were deleted`,
      };
    }
    return { ok: firstBroken === null, checked: this.count, head: this.last, firstBroken };
  }
}
