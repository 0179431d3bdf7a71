import { unitsToPoints, toUnits } from './amounts';
import { compareIds } from './incentives';
import type { HeldLine, ReviewDecisionKind } from './incidents';
import type { AllocationLine, Units } from './types';

/**
 * What an exchange owes, pair by pair, once people have acted on it. The contract's distribution
 * is only the starting point: a decided incident sets a new yardstick (a reviewer's adjust or
 * reject stands), and a deliberate revocation — an operator's or orchestrator's token revocation,
 * a cancelled run's compensation — means the recipient is due nothing more from that payer on that
 * exchange than it already received. Detection, rollback and the automatic review all measure
 * against this, so no later incident quietly undoes what a person decided.
 *
 * Pure: the activities feed it the exchange's recorded history; a member re-checking an incident
 * gets the same answer from the same records.
 */

/** Why a line was revoked: the DVCT's own corrections and what it observed are not decisions about what is due. */
export type RevokeCause =
  /** A token revocation the operator or the contract's orchestrator asked for. */
  | 'revocation'
  /** The compensation of a cancelled run (an exchange, a settlement or an incident). */
  | 'cancellation'
  /** An incident moving the holdings to what is due (its rollback or its correction). */
  | 'correction'
  /** Revoked on chain outside the DVCT, found by detection. */
  | 'outside';
export const REVOKE_CAUSES = ['revocation', 'cancellation', 'correction', 'outside'] as const satisfies readonly RevokeCause[];

/** Only these change what is due; the others are how the DVCT (or someone behind its back) moved the holdings. */
export const DELIBERATE_REVOKE_CAUSES: readonly RevokeCause[] = ['revocation', 'cancellation'];

/** Something after the contract that changed what the exchange owes, at the moment it took effect. */
export type DueAmendment =
  | { kind: 'decision'; at: string; incidentId: string; decision: ReviewDecisionKind; lines: AllocationLine[] }
  | { kind: 'withdrawal'; at: string; payerId: string; recipientId: string; cause: RevokeCause; reason: string };

/** A pair whose due is not what the contract alone makes due, and why — what a reviewer is asked about. */
export interface Departure {
  payerId: string;
  recipientId: string;
  due: Units;
  contract: Units;
  why: string;
}

export interface DueNow {
  /** Per (payer, recipient), zero pairs left out, sorted by payer then recipient. */
  lines: AllocationLine[];
  totalDue: Units;
  departures: Departure[];
}

const pairKey = (payerId: string, recipientId: string) => `${payerId}\n${recipientId}`;
const splitKey = (key: string) => key.split('\n') as [string, string];

/**
 * Folds the amendments, oldest first, over the contract's distribution:
 * - a decision replaces the whole yardstick with the lines it decided;
 * - a withdrawal pins its pair at what the pair has already been paid out (released lines): what
 *   was still held went back to the payer on purpose, and nothing more is due unless a later
 *   decision says otherwise.
 * Amendments at the same instant apply decisions first (a deliberate act of the same moment wins).
 */
export function dueNow(contract: readonly AllocationLine[], held: readonly HeldLine[], amendments: readonly DueAmendment[]): DueNow {
  const byContract = amountsByPair(contract);
  let due = new Map(byContract);
  const why = new Map<string, string>();

  const ordered = [...amendments].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.kind === b.kind ? 0 : a.kind === 'decision' ? -1 : 1));
  for (const amendment of ordered) {
    if (amendment.kind === 'decision') {
      due = amountsByPair(amendment.lines);
      why.clear();
      for (const key of new Set([...due.keys(), ...byContract.keys()])) why.set(key, `decided (${amendment.decision}) by incident ${amendment.incidentId}`);
      continue;
    }
    const key = pairKey(amendment.payerId, amendment.recipientId);
    const paidOut = held
      .filter((l) => l.status === 'released' && l.payerId === amendment.payerId && l.recipientId === amendment.recipientId)
      .reduce((sum, l) => sum + BigInt(l.amount), 0n);
    due.set(key, paidOut);
    why.set(key, `revoked on purpose (${amendment.cause}: ${amendment.reason}) at ${amendment.at}`);
  }

  const lines = [...due]
    .filter(([, amount]) => amount > 0n)
    .map(([key, amount]) => {
      const [payerId, recipientId] = splitKey(key);
      return { payerId, recipientId, amount: toUnits(amount) };
    })
    .sort((a, b) => compareIds(a.payerId, b.payerId) || compareIds(a.recipientId, b.recipientId));
  const departures: Departure[] = [];
  for (const key of [...new Set([...due.keys(), ...byContract.keys()])].sort(compareIds)) {
    const owed = due.get(key) ?? 0n;
    const signed = byContract.get(key) ?? 0n;
    if (owed === signed) continue;
    const [payerId, recipientId] = splitKey(key);
    departures.push({ payerId, recipientId, due: toUnits(owed), contract: toUnits(signed), why: why.get(key) ?? 'amended' });
  }
  return { lines, totalDue: toUnits(lines.reduce((s, l) => s + BigInt(l.amount), 0n)), departures };
}

/** A departure in words, for causes and for the reviewer's question. */
export function describeDeparture(d: Departure): string {
  return `${d.payerId} → ${d.recipientId}: ${unitsToPoints(d.due)} points due instead of the contract's ${unitsToPoints(d.contract)} — ${d.why}`;
}

function amountsByPair(lines: readonly AllocationLine[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const l of lines) {
    const key = pairKey(l.payerId, l.recipientId);
    totals.set(key, (totals.get(key) ?? 0n) + BigInt(l.amount));
  }
  return totals;
}
