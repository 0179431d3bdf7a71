import type { VerificationItem } from '../domain/verification';

/** The verification answer as a person reads it in a terminal: one line per item, mismatches first said why. */
export function formatVerification(report: { exchangeId: string; verified: boolean; checkedAt: string; items: VerificationItem[] }): string {
  const rows = report.items.map((i) => {
    const what = i.item === 'allocation' ? `expected ${i.expected ?? '—'} / on chain ${i.onChain ?? '—'}` : `claimed ${short(i.claimedHash)} / on chain ${short(i.onChainHash)}`;
    return `  ${i.match ? 'ok      ' : 'MISMATCH'} ${i.item.padEnd(10)} ${i.id}  [${i.instanceId}]  ${what}${i.reason ? `\n           ${i.reason}` : ''}`;
  });
  return [`exchange ${report.exchangeId}: ${report.verified ? 'VERIFIED' : 'NOT VERIFIED'} (checked ${report.checkedAt})`, ...rows].join('\n');
}

function short(hash: string | undefined): string {
  return hash ? `${hash.slice(0, 10)}…` : '—';
}
