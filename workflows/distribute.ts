import { sleep } from '@temporalio/workflow';
import { unitsToPoints } from '../domain/amounts';
import type { Distribution } from '../domain/types';
import type { DetectionResult } from './definitions';
import { act } from './activities';
import { deliverNotifications } from './notify';
import { permanentFailure, type RunState } from './run-state';

export interface DistributionOutcome {
  totalDue: string;
  allocationTxHash: string | null;
  releaseTxHash: string | null;
  detection: DetectionResult;
  notified: number;
}

/**
 * The second half of every distribution (an exchange or a pool settlement): allocate on chain,
 * read the chain back and compare with what is due, notify, wait out the verification window,
 * release. A mismatch stops here, with the allocations still held and revocable.
 */
export async function distributeAndRelease(
  run: RunState,
  args: { subjectId: string; distribution: Distribution; holdSeconds: number; contractId: string | null; nodeIds: string[] },
): Promise<DistributionOutcome> {
  const { subjectId, distribution } = args;
  run.progress.distribution = distribution;

  const allocation = await act.allocatePoints.executeWithOptions(
    { summary: `allocate ${unitsToPoints(distribution.totalDue)} points in ${distribution.lines.length} line(s)` },
    [{ subjectId, distribution, holdSeconds: args.holdSeconds, contractId: args.contractId, nodeIds: args.nodeIds }],
  );
  run.progress.allocation = { txHash: allocation.txHash, releaseAt: allocation.releaseAt };

  // Detection: the chain must hold, per recipient and in total, exactly what is due.
  run.enter('verifying-distribution', `Reading allocations of tx \`${allocation.txHash ?? 'earlier attempt'}\` back from the chain.`);
  const detection = await act.verifyDistribution.executeWithOptions(
    { summary: 'compare chain with the distribution due' },
    [{ subjectId, distribution }],
  );
  run.progress.detection = detection;
  if (!detection.ok) {
    const wrong = detection.recipients.filter((r) => !r.ok).map((r) => `${r.recipientId}: expected ${r.expected}, chain ${r.onChain}`);
    const failure = {
      code: 'DISTRIBUTION_MISMATCH',
      message: `The chain holds ${detection.totalOnChain} units where ${detection.totalDue} are due (${wrong.join('; ')})`,
      details: detection,
    };
    run.progress.error = { code: failure.code, message: failure.message };
    run.enter('mismatch-detected', `**Mismatch** — ${failure.message}. Allocations stay held and revocable.`);
    await act.markExchangeOutcome({ exchangeId: subjectId, status: 'mismatch-detected', error: failure });
    throw permanentFailure(failure);
  }

  run.enter('notifying', `Notifying the ${new Set(distribution.lines.flatMap((l) => [l.payerId, l.recipientId])).size} participant(s) concerned.`);
  const notified = await notifyEveryone(subjectId);

  run.enter('verification-window', `Allocations are revocable until **${allocation.releaseAt}** (${args.holdSeconds}s window).`);
  await sleep(args.holdSeconds * 1000, { summary: `verification window (${args.holdSeconds}s) before release` });

  run.enter('releasing', 'Releasing the allocations to the recipients\' wallets.');
  const release = await act.releaseAllocations.executeWithOptions({ summary: 'release allocations' }, [{ subjectId }]);

  run.enter('completed', `Released in tx \`${release.txHash ?? 'an earlier attempt'}\`.`);
  return { totalDue: distribution.totalDue, allocationTxHash: allocation.txHash, releaseTxHash: release.txHash, detection, notified };
}

/** Records a notification per participant concerned, then delivers each webhook on its own retries. */
async function notifyEveryone(subjectId: string): Promise<number> {
  const recorded = await act.notifyParticipants.executeWithOptions({ summary: 'record notifications' }, [{ subjectId }]);
  return deliverNotifications(recorded);
}
