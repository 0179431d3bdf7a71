import { condition } from '@temporalio/workflow';
import { unitsToPoints } from '../domain/amounts';
import type { DistributionBasis } from '../db/records';
import { detectionIncidentId } from '../domain/workflow-ids';
import type { AllocationLine, Distribution } from '../domain/types';
import type { DetectionResult } from './definitions';
import { act } from './activities';
import type { IncidentQueue } from './incident-queue';
import { deliverNotifications } from './notify';
import type { RunState } from './run-state';

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
 * release. A mismatch, or an incident raised during the window, is handled by an incident run
 * (rollback, review, correction, re-distribution) before anything is released.
 */
export async function distributeAndRelease(
  run: RunState,
  incidents: IncidentQueue,
  args: {
    subjectId: string;
    distribution: Distribution;
    holdSeconds: number;
    contractId: string | null;
    nodeIds: string[];
    basis?: DistributionBasis;
    /** For an exchange: the distribution by the contract's own metrics, which detection compares with. */
    dueByContract?: { lines: AllocationLine[]; tolerancePoints: number };
  },
): Promise<DistributionOutcome> {
  const { subjectId, distribution } = args;
  run.progress.distribution = distribution;

  const allocation = await act.allocatePoints.executeWithOptions(
    { summary: `allocate ${unitsToPoints(distribution.totalDue)} points in ${distribution.lines.length} line(s)` },
    [{ subjectId, distribution, holdSeconds: args.holdSeconds, contractId: args.contractId, nodeIds: args.nodeIds, ...(args.basis ? { basis: args.basis } : {}) }],
  );
  run.progress.allocation = { txHash: allocation.txHash, releaseAt: allocation.releaseAt };

  // Detection: the chain must hold, per line and in total, what was allocated — and that must be
  // what the contract's own metrics make due. A difference opens an incident, handled right here.
  run.enter('verifying-distribution', `Reading allocations of tx \`${allocation.txHash ?? 'earlier attempt'}\` back from the chain and recomputing from the contract.`);
  const detection = await act.verifyDistribution.executeWithOptions(
    { summary: 'compare chain and contract with the distribution' },
    [{ subjectId, distribution, ...(args.dueByContract ? { dueByContract: args.dueByContract } : {}) }],
  );
  run.progress.detection = detection;
  if (!detection.ok) {
    run.enter('mismatch-detected', `**Mismatch** — ${describeMismatch(detection)}. An incident corrects it before anything is released.`);
    await incidents.raise(detectionIncidentId(subjectId), 'detection');
  }
  await incidents.drain();

  run.enter('notifying', `Notifying the ${new Set(distribution.lines.flatMap((l) => [l.payerId, l.recipientId])).size} participant(s) concerned.`);
  const notified = await notifyEveryone(subjectId);

  // The window: revocable until the latest release time of every round; incidents raised meanwhile
  // (a dispute, the reconciliation) are handled first, and may extend it with their corrections.
  let releaseAt = allocation.releaseAt;
  for (;;) {
    if (incidents.latestReleaseAt && incidents.latestReleaseAt > releaseAt) releaseAt = incidents.latestReleaseAt;
    run.enter('verification-window', `Allocations are revocable until **${releaseAt}** (${args.holdSeconds}s window). Disputes and reconciliation incidents are handled before release.`);
    const remaining = Date.parse(releaseAt) - Date.now();
    const raised = incidents.pending || (remaining > 0 && (await condition(() => incidents.pending, remaining)));
    if (!raised) break;
    await incidents.drain();
  }

  run.enter('releasing', 'Releasing the allocations to the recipients\' wallets.');
  const release = await act.releaseAllocations.executeWithOptions({ summary: 'release allocations' }, [{ subjectId }]);

  // Incidents raised from here on find the lines paid out: the run's last step (closeRun) hands
  // them to runs that release their own corrections.
  run.enter('completed', `Released in tx \`${release.txHash ?? 'an earlier attempt'}\`.`);
  return { totalDue: distribution.totalDue, allocationTxHash: allocation.txHash, releaseTxHash: release.txHash, detection, notified };
}

function describeMismatch(detection: DetectionResult): string {
  const chain = detection.recipients.filter((r) => !r.ok).map((r) => `${r.recipientId}: allocated ${unitsToPoints(r.expected)}, chain ${unitsToPoints(r.onChain)}`);
  const contract = detection.againstContract.map((f) => `${f.payerId} → ${f.recipientId}: allocated ${unitsToPoints(f.held)}, contract ${unitsToPoints(f.due)}`);
  return [...chain, ...contract].join('; ');
}

/** Records a notification per participant concerned, then delivers each webhook on its own retries. */
async function notifyEveryone(subjectId: string): Promise<number> {
  const recorded = await act.notifyParticipants.executeWithOptions({ summary: 'record notifications' }, [{ subjectId }]);
  return deliverNotifications(recorded);
}
