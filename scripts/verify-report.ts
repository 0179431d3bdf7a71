import type { VerificationItem } from '../domain/verification';

/**
 * The verification answer as a person reads it in a terminal: a heading, then one line per item —
 * whether it matches, what it is (a correction round's items name their round), whose data it
 * checks, the hashes or amounts compared and, for a mismatch, why.
 */
export function formatVerification(report: { exchangeId: string; verified: boolean; checkedAt: string; items: VerificationItem[] }): string {
  const rows = report.items.map((i) => {
    const round = i.item !== 'record' && i.subject !== report.exchangeId ? ` (${i.subject})` : '';
    const what = i.item === 'allocation' ? `expected ${i.expected ?? '—'} / on chain ${i.onChain ?? '—'}` : `claimed ${short(i.claimedHash)} / on chain ${short(i.onChainHash)}`;
    return `  ${i.match ? 'ok      ' : 'MISMATCH'} ${i.item.padEnd(10)} ${i.id}${round}  [${i.instanceId}]  ${what}${i.reason ? `  — ${i.reason}` : ''}`;
  });
  return [`exchange ${report.exchangeId}: ${report.verified ? 'VERIFIED' : 'NOT VERIFIED'} (checked ${report.checkedAt})`, ...rows].join('\n');
}

function short(hash: string | undefined): string {
  return hash ? `${hash.slice(0, 10)}…` : '—';
}
