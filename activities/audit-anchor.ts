import type { Hex } from 'viem';
import type { ActivityDeps } from './deps';
import { whileHeartbeating } from './failures';

/**
 * Writes the audit trail's head on chain (PointsLedger.anchorAudit), so an edited, deleted or
 * truncated trail no longer matches what the chain holds. Not itself in the trail: recording it
 * would move the head again and leave something new to anchor every time.
 */
export function auditAnchorActivities({ store, ledger, log }: ActivityDeps) {
  return {
    async anchorAuditHead(): Promise<{ seq: number; anchoredSeq: number; txHash: string | null }> {
      const head = await store.auditHead();
      const onChain = await ledger.auditAnchor();
      if (!head || head.seq <= onChain.seq) {
        // Fewer entries than the chain saw: rows were deleted. GET /v1/audit/verify names where.
        if ((head?.seq ?? 0) < onChain.seq) log.error({ headSeq: head?.seq ?? 0, anchoredSeq: onChain.seq }, 'the audit trail is shorter than its anchored head');
        return { seq: head?.seq ?? 0, anchoredSeq: onChain.seq, txHash: null };
      }
      const { txHash } = await whileHeartbeating(() => ledger.anchorAudit(`0x${head.hash}` as Hex, head.seq));
      if (txHash) await store.recordAuditAnchor({ seq: head.seq, head: head.hash, txHash, anchoredAt: new Date() });
      return { seq: head.seq, anchoredSeq: head.seq, txHash };
    },
  };
}
