import { CancellationScope, executeChild, isCancellation, workflowInfo } from '@temporalio/workflow';
import { computeExchangeDistribution, type LineageSlice } from '../domain/incentives';
import type { IncentiveTerm } from '../domain/types';
import { PREVROOT_WORKFLOW, type ExchangeWorkflowInput } from './definitions';
import { distributeAndRelease, type DistributionOutcome } from './distribute';
import { act } from './activities';
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

    // 3. prevRoot update loop — a child run, so a long ancestry cannot bloat this history.
    if (report.prevDataIds.length > 0) {
      run.enter('updating-prevroots', `Telling the ancestors of \`${nodes.consumedNodeId}\` about their new descendant (${report.prevDataIds.length} parent(s)).`);
      const prevRoot: PrevRootResult = await executeChild(PREVROOT_WORKFLOW, {
        workflowId: `prevroot-${exchangeId}`,
        args: [{ exchangeId, childNodeId: nodes.consumedNodeId, prevDataIds: report.prevDataIds, maxDepth: input.prevRootMaxDepth }],
        staticSummary: `prevRoot updates for exchange ${exchangeId}`,
      });
      run.progress.prevRootHops = prevRoot.hops;
    }

    // 4. allocatePoints — the distribution is a pure function of contract, input and lineage.
    run.enter('allocating-points', 'Computing the distribution from the contract and allocating it on chain in one transaction.');
    const factors = {
      dataProvider: await effectiveFactor(contract.incentiveForDataProvider, 'incentiveForDataProvider', report),
      aiProvider: contract.extraIncentiveForAIProvider && report.dataConsumerIsAIProvider
        ? await effectiveFactor(contract.extraIncentiveForAIProvider, 'extraIncentiveForAIProvider', report)
        : 1,
    };
    const lineage: LineageSlice = contract.upstream
      ? await act.loadUpstreamLineage.executeWithOptions(
          { summary: `upstream lineage, ${contract.upstream.depth} level(s)` },
          [{ nodeIds: [nodes.consumedNodeId, nodes.outputNodeId], depth: contract.upstream.depth }],
        )
      : { nodes: {} };
    const distribution = computeExchangeDistribution({
      contract,
      report,
      consumedNodeId: nodes.consumedNodeId,
      outputNodeId: nodes.outputNodeId,
      factors,
      lineage,
    });

    // 5–7. verifyDistribution, notify, release — shared with pool settlements.
    const outcome = await distributeAndRelease(run, {
      subjectId: exchangeId,
      distribution,
      holdSeconds: contract.verificationWindowSeconds,
      contractId: report.contractId,
      nodeIds: [nodes.consumedNodeId, nodes.outputNodeId],
    });
    return { exchangeId, ...nodes, prevRootHops: run.progress.prevRootHops, ...outcome };
  } catch (err) {
    throw await failRun(run, exchangeId, err);
  }
}

/** The contract's factor, or — when the contract asks for a check — the data-quality service's. */
async function effectiveFactor(
  term: IncentiveTerm,
  termName: 'incentiveForDataProvider' | 'extraIncentiveForAIProvider',
  report: ExchangeWorkflowInput['report'],
): Promise<number> {
  if (!term.factorCheck) return term.factor;
  const { factor } = await act.checkDataQuality.executeWithOptions(
    { summary: `data-quality factor for ${termName}` },
    [{ dataId: report.dataId, dataProviderId: report.dataProviderId, usecaseContractId: report.usecaseContractId, termName, contractFactor: term.factor }],
  );
  return factor;
}

/** Records why the run stopped (unless detection already did) and returns the failure to throw. */
export async function failRun(run: RunState, subjectId: string, err: unknown): Promise<Error> {
  const cancelled = isCancellation(err);
  const failure = cancelled ? { code: 'CANCELLED', message: 'The run was cancelled', details: null } : failureOf(err);
  if (run.progress.stage !== 'mismatch-detected') {
    run.progress.error = { code: failure.code, message: failure.message };
    run.enter('failed', `Failed: **${failure.code}** — ${failure.message}\n\nRun \`${workflowInfo().workflowId}\`.`);
    // Non-cancellable: a cancelled run must still leave its record in a final state.
    await CancellationScope.nonCancellable(() =>
      act.markExchangeOutcome({ exchangeId: subjectId, status: 'failed', error: failure }),
    );
  }
  return cancelled ? (err as Error) : permanentFailure(failure);
}
