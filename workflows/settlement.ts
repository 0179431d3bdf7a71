import { computePoolDistribution } from '../domain/pool';
import type { SettlementWorkflowInput } from './definitions';
import { act } from './activities';
import { distributeAndRelease, type DistributionOutcome } from './distribute';
import { failRun } from './exchange';
import { IncidentQueue } from './incident-queue';
import { publishLineage } from './openlineage';
import { RunState, failureOf, permanentFailure } from './run-state';

/**
 * Use-case pool settlement: the orchestrator's reward pool split by the contract's weights
 * (largest remainder, total exact), then allocated, verified, notified and released exactly like
 * an exchange.
 */
export async function poolSettlementWorkflow(input: SettlementWorkflowInput): Promise<DistributionOutcome & { settlementId: string }> {
  const run = new RunState(input.settlementId);
  const incidents = new IncidentQueue(run, input.settlementId);

  run.enter('verifying-contract', `Checking \`${input.contractId}\` is in force and defines a reward pool.`);
  let contract;
  try {
    ({ contract } = await act.verifyPool.executeWithOptions(
      { summary: `verify pool of ${input.contractId}` },
      [{ settlementId: input.settlementId, contractId: input.contractId, at: input.submittedAt }],
    ));
  } catch (err) {
    const failure = failureOf(err);
    run.progress.error = { code: failure.code, message: failure.message };
    run.enter('rejected', `Rejected: **${failure.code}** — ${failure.message}`);
    await act.markExchangeOutcome({ exchangeId: input.settlementId, status: 'rejected', error: failure });
    throw permanentFailure(failure);
  }

  try {
    run.enter('allocating-points', 'Splitting the pool by weight and allocating it on chain.');
    const outcome = await distributeAndRelease(run, incidents, {
      subjectId: input.settlementId,
      distribution: computePoolDistribution(contract),
      holdSeconds: contract.verificationWindowSeconds,
      contractId: null,
      nodeIds: [],
    });
    await incidents.closeRun(() => publishLineage(input.settlementId));
    return { settlementId: input.settlementId, ...outcome };
  } catch (err) {
    throw await failRun(run, input.settlementId, err);
  }
}
