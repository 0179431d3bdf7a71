import { setCurrentDetails } from '@temporalio/workflow';
import { unitsToPoints } from '../domain/amounts';
import type { Units } from '../domain/types';
import type { RevocationWorkflowInput } from './definitions';
import { act } from './activities';
import { deliverNotifications } from './notify';
import { failureOf, permanentFailure } from './run-state';

export interface RevocationResult {
  revocationId: string;
  exchangeId: string;
  recipientId: string;
  revoked: { payerId: string; txHash: string | null; amount: Units }[];
  notified: number;
}

/**
 * Takes back a recipient's unreleased allocations of one exchange (it broke the contract's terms):
 * each line is revoked on chain into its payer's deposit — a new transaction, never an undo —
 * then recorded with the transaction and the reason, and everyone concerned is told why.
 * The workflow id `revocation-<exchange>-<payers>-<recipient>` makes a repeated request one run.
 */
export async function revocationWorkflow(input: RevocationWorkflowInput): Promise<RevocationResult> {
  const { exchangeId, recipientId, reason } = input;
  const revoked: RevocationResult['revoked'] = [];
  let released: ReturnType<typeof failureOf> | null = null;

  for (const payerId of input.payerIds) {
    setCurrentDetails(`**Revoking** ${payerId} → ${recipientId} of exchange \`${exchangeId}\`\n\nReason: ${reason}`);
    try {
      const { txHash, amount, rounds } = await act.revokeAllocation.executeWithOptions(
        { summary: `revoke ${payerId} → ${recipientId} on chain` },
        [{ exchangeId, payerId, recipientId, reason }],
      );
      await act.recordRevocation.executeWithOptions(
        { summary: `record revocation of ${unitsToPoints(amount)} points, ${payerId} → ${recipientId}` },
        [{ exchangeId, payerId, recipientId, txHash, reason, rounds }],
      );
      revoked.push({ payerId, txHash, amount });
    } catch (err) {
      // Released since the API looked: paid out, so it stays released. The other lines still go back.
      const failure = failureOf(err);
      if (failure.code !== 'ALLOCATION_RELEASED') throw permanentFailure(failure);
      released ??= failure;
    }
  }

  let notified = 0;
  if (revoked.length > 0) {
    setCurrentDetails(`**Notifying** everyone concerned by the revocation of ${revoked.length} line(s) to ${recipientId}.`);
    const recorded = await act.notifyRevocation.executeWithOptions(
      { summary: `notify the revocation to ${recipientId}` },
      [{ revocationId: input.revocationId, exchangeId, recipientId, payerIds: revoked.map((r) => r.payerId), reason }],
    );
    notified = await deliverNotifications(recorded);
  }

  if (released) {
    setCurrentDetails(`**Failed**: ${released.message}`);
    throw permanentFailure(released);
  }
  setCurrentDetails(`**Revoked** ${revoked.length} line(s) to ${recipientId}; ${notified} participant(s) notified.`);
  return { revocationId: input.revocationId, exchangeId, recipientId, revoked, notified };
}
