import { CancellationScope, executeChild, isCancellation, workflowInfo } from '@temporalio/workflow';
import type { DistributionBasis } from '../db/records';
import { contractMetrics, reportedMetrics } from '../domain/correction';
import { DEFAULT_REVIEW_POLICY } from '../domain/incidents';
import { computeExchangeDistribution, type LineageSlice } from '../domain/incentives';
import type { IncentiveTerm } from '../domain/types';
import { PREVROOT_WORKFLOW, type ExchangeWorkflowInput } from './definitions';
import { distributeAndRelease, type DistributionOutcome } from './distribute';
import { act } from './activities';
import { IncidentQueue } from './incident-queue';
import { publishLineage } from './openlineage';
import type { PrevRootResult } from './prevroot';
import { RunState, failureOf, permanentFailure } from './run-state';

export interface ExchangeResult extends DistributionOutcome {
  exchangeId: string;
  consumedNodeId: string;
  outputNodeId: string;
  prevRootHops: number;
}

/**
 * One run per data exchange, in the order of the design document: verify the contract, create
 * the lineage nodes, let every ancestor learn of its new child, allocate the incentive points,
 * check the chain against what is due, notify, and release after the verification window.
 */
export async function exchangeWorkflow(input: ExchangeWorkflowInput): Promise<ExchangeResult> {
  const { exchangeId, report } = input;
  const run = new RunState(exchangeId);
  const incidents = new IncidentQueue(run, exchangeId);

  // 1. verifyContract — a contract that does not hold rejects the exchange; nothing is allocated.
  run.enter('verifying-contract', `Checking \`${report.usecaseContractId}\` is in force and binds \`${report.dataProviderId}\` and \`${report.dataConsumerId}\`.`);
  let contract;
  try {
    ({ contract } = await act.verifyContract.executeWithOptions(
      { summary: `verify contract ${report.usecaseContractId}` },
      [{ exchangeId, report, at: input.submittedAt }],
    ));
  } catch (err) {
    const failure = failureOf(err);
    run.progress.error = { code: failure.code, message: failure.message };
    run.enter('rejected', `Rejected: **${failure.code}** — ${failure.message}`);
    await act.markExchangeOutcome({ exchangeId, status: 'rejected', error: failure });
    await publishLineage(exchangeId);
    throw permanentFailure(failure);
  }

  try {
    // 2. createNodes — the consumed data and the consumer's output, linked parent → child.
    run.enter('creating-nodes', `Creating the node of \`${report.dataId}\` and of the consumer's output.`);
    const nodes = await act.createNodes.executeWithOptions(
      { summary: `nodes for ${report.dataId} → output of ${report.dataConsumerId}` },
      [{ exchangeId, report }],
    );
    run.progress.nodes = nodes;

    // 3. prevRoot update loop — a child run, so a long ancestry cannot bloat this history. With
    // several instances the consumed data's home (maybe a peer) hears of the output as well; the
    // run waits until every peer concerned has accepted its update, so "allocated" always means
    // "every ancestor's home knows" (a peer that is down delays the points, never loses the update).
    const federation = input.federation;
    if (report.prevDataIds.length > 0 || federation) {
      run.enter('updating-prevroots', `Telling the ancestors of \`${nodes.consumedNodeId}\` about their new descendant (${report.prevDataIds.length} parent(s)).`);
      const prevRoot: PrevRootResult = await executeChild(PREVROOT_WORKFLOW, {
        workflowId: `prevroot-${exchangeId}`,
        args: [
          {
            exchangeId,
            childNodeId: nodes.consumedNodeId,
            prevDataIds: report.prevDataIds,
            maxDepth: input.prevRootMaxDepth,
            ...(federation ? { outputNodeId: nodes.outputNodeId, peerRetryMaxIntervalSeconds: federation.peerRetryMaxIntervalSeconds } : {}),
          },
        ],
        staticSummary: `prevRoot updates for exchange ${exchangeId}`,
      });
      run.progress.prevRootHops = prevRoot.hops;
    }

    // 4. allocatePoints — the distribution is a pure function of contract, metrics and lineage.
    // The metrics are the connector's (within the contract's bounds); detection checks them.
    run.enter('allocating-points', 'Computing the distribution from the reported metrics and allocating it on chain in one transaction.');
    const qualityFactors = {
      ...(contract.incentiveForDataProvider.factorCheck
        ? { dataProvider: await qualityFactor(contract.incentiveForDataProvider, 'incentiveForDataProvider', report) }
        : {}),
      ...(contract.extraIncentiveForAIProvider?.factorCheck && report.dataConsumerIsAIProvider
        ? { aiProvider: await qualityFactor(contract.extraIncentiveForAIProvider, 'extraIncentiveForAIProvider', report) }
        : {}),
    };
    const lineage: LineageSlice = contract.upstream
      ? await act.loadUpstreamLineage.executeWithOptions(
          { summary: `upstream lineage, ${contract.upstream.depth} level(s)` },
          [{ nodeIds: [nodes.consumedNodeId, nodes.outputNodeId], depth: contract.upstream.depth }],
        )
      : { nodes: {} };
    const basis: DistributionBasis = { metrics: reportedMetrics(contract, report, qualityFactors), qualityFactors, lineage, ...nodes };
    const distribution = computeExchangeDistribution({ contract, report, ...nodes, metrics: basis.metrics, lineage });
    // Detection's yardstick: the same function with the contract's own metrics.
    const dueByContract = computeExchangeDistribution({ contract, report, ...nodes, metrics: contractMetrics(contract, report, qualityFactors), lineage });

    // 5–7. verifyDistribution, notify, release — shared with pool settlements.
    const outcome = await distributeAndRelease(run, incidents, {
      subjectId: exchangeId,
      distribution,
      holdSeconds: contract.verificationWindowSeconds,
      contractId: report.contractId,
      nodeIds: [nodes.consumedNodeId, nodes.outputNodeId],
      basis,
      // A run started before contracts carried a review policy has none in its history: the default's.
      dueByContract: { lines: dueByContract.lines, tolerancePoints: (contract.review ?? DEFAULT_REVIEW_POLICY).tolerancePoints },
    });
    await incidents.closeRun(() => publishLineage(exchangeId));
    return { exchangeId, ...nodes, prevRootHops: run.progress.prevRootHops, ...outcome };
  } catch (err) {
    throw await failRun(run, exchangeId, err);
  }
}

/** The data-quality service's factor for a term whose contract asks for a check. */
async function qualityFactor(
  term: IncentiveTerm,
  termName: 'incentiveForDataProvider' | 'extraIncentiveForAIProvider',
  report: ExchangeWorkflowInput['report'],
): Promise<number> {
  const { factor } = await act.checkDataQuality.executeWithOptions(
    { summary: `data-quality factor for ${termName}` },
    [{ dataId: report.dataId, dataProviderId: report.dataProviderId, usecaseContractId: report.usecaseContractId, termName, contractFactor: term.factor }],
  );
  return factor;
}

/**
 * Records why the run stopped and returns the failure to throw. A cancelled run first runs its
 * compensation, even though it is being cancelled: every line it still holds goes back to its payer.
 */
export async function failRun(run: RunState, subjectId: string, err: unknown): Promise<Error> {
  if (isCancellation(err)) {
    await CancellationScope.nonCancellable(async () => {
      run.enter('cancelled', 'Cancelled: rolling back every allocation still held.');
      await act.rollbackExchange.executeWithOptions({ summary: 'compensation: revoke every held line' }, [{ exchangeId: subjectId, reason: 'the run was cancelled' }]);
      await act.markExchangeOutcome({ exchangeId: subjectId, status: 'cancelled', error: { code: 'CANCELLED', message: 'The run was cancelled; held allocations were revoked', details: null } });
      await publishLineage(subjectId);
    });
    return err as Error;
  }
  const failure = failureOf(err);
  run.progress.error = { code: failure.code, message: failure.message };
  run.enter('failed', `Failed: **${failure.code}** — ${failure.message}\n\nRun \`${workflowInfo().workflowId}\`.`);
  await act.markExchangeOutcome({ exchangeId: subjectId, status: 'failed', error: failure });
  await publishLineage(subjectId);
  return permanentFailure(failure);
}
