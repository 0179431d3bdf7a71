import { applyPpm, factorToPpm, fromUnits, pointsToUnits, sumUnits, toUnits } from './amounts';
import { validateContractTerms } from './contract-rules';
import { DvctError } from './errors';
import type { AwardMetric, ExchangeMetrics } from './incidents';
import type {
  AllocationLine,
  AllocationReason,
  AwardPart,
  Distribution,
  ExchangeReport,
  Units,
  UseCaseContract,
} from './types';

/**
 * The incentive policy: who is paid what for one exchange. A pure function of the contract, the
 * report, the metrics and the lineage — the same input always gives the same
 * distribution, so the workflow, detection and any auditing member compute the same thing.
 *
 * 1. Direct award to the data provider: metrics.dataProvider.numPoints × metrics.dataProvider.factor,
 *    paid by the consumer to the provider, earned by the consumed node.
 * 2. Extra award to an AI provider: when the report says the consumer is an AI provider, the
 *    contract has extraIncentiveForAIProvider and metrics.aiProvider is given, numPoints × factor, paid by the
 *    orchestrator to the consumer, earned by the output node.
 *    Every award is rounded down to one base unit (the remainder stays with the payer).
 * 3. Upstream share (contract.upstream = { share s, depth d }): whoever holds an award earned by
 *    node N passes floor(award × s) on to the owners of N's parent nodes, split equally among
 *    them; the remainder r of that split goes one base unit each to the first r parents in
 *    nodeId order. Each parent's part is an award earned by that parent, so it passes on again,
 *    up to d levels above the original award. The holder keeps everything when it is at level d,
 *    when its node has no parents, or when all parents are unusable: a parent is skipped when
 *    its owner is unknown (ownerId null, or the node is missing from the lineage slice) or when
 *    it is already on the path (a cycle must not loop or pay twice along one path).
 * 4. An upstream part is paid by the payer of the award it came from.
 * 5. A part whose payer is its recipient is dropped, from `parts` and from `lines`, and not
 *    counted in totalDue: moving points from a deposit to the same wallet is a no-op. Parts of
 *    zero units are dropped too.
 * 6. Lines merge the parts per (payer, recipient), sorted by payerId then recipientId, and
 *    totalDue is their sum. Nothing is created or lost: the sum of all parts, self-payments
 *    included, equals the sum of the rounded awards.
 *
 * The distribution is defined for valid contracts only (validateContractTerms); an invalid one
 * throws INVALID_INCENTIVE_TERMS, invalid metrics throw VALIDATION_FAILED. The metrics are the
 * contract's (domain/correction.ts contractMetrics), the connector's (reportedMetrics) or a
 * reviewer's correction: detection and correction recompute with this same function.
 *
 * Every path up the lineage is followed on its own, so a diamond pays its top node twice (once
 * per path). The work grows with the number of paths, bounded by the contract's depth (≤ 20) and
 * by amounts reaching zero.
 */

export interface LineageSlice {
  nodes: Record<string /* nodeId */, { ownerId: string | null; parentIds: string[] }>;
}

export interface DistributionInput {
  contract: UseCaseContract;
  report: ExchangeReport;
  /** The node of the consumed data (owner = dataProviderId). */
  consumedNodeId: string;
  /** The node of the consumer's output (owner = dataConsumerId). */
  outputNodeId: string;
  /** Points and factor per award: the contract's, the connector's or a reviewer's. */
  metrics: ExchangeMetrics;
  /** Ancestors of consumedNodeId (and of outputNodeId's parents), at least `upstream.depth` levels up. */
  lineage: LineageSlice;
}

interface UpstreamRule {
  sharePpm: bigint;
  depth: number;
}

/** An amount someone holds because node `nodeId` was used, before its upstream share is passed on. */
interface Holding {
  payerId: string;
  recipientId: string;
  amount: bigint;
  reason: AllocationReason;
  nodeId: string;
  depth: number;
}

interface SpreadContext {
  rule: UpstreamRule | null;
  lineage: LineageSlice;
  parts: AwardPart[];
}

export function computeExchangeDistribution(input: DistributionInput): Distribution {
  return distributionFromParts(computeAwardParts(input));
}

/**
 * Every part of the exchange's awards in the order computed, self-payments and all: the raw
 * material of the distribution, exposed so the conservation of points can be checked.
 */
export function computeAwardParts(input: DistributionInput): AwardPart[] {
  const { contract, metrics } = input;
  const problems = validateContractTerms(contract);
  if (problems.length > 0) {
    throw new DvctError('INVALID_INCENTIVE_TERMS', `Contract ${contract.id} is not valid: ${problems.join('; ')}`, { problems });
  }
  const context: SpreadContext = { rule: upstreamRule(contract), lineage: input.lineage, parts: [] };

  spread(
    {
      payerId: input.report.dataConsumerId,
      recipientId: input.report.dataProviderId,
      amount: awardUnits(metrics.dataProvider, 'metrics.dataProvider'),
      reason: 'data-provider',
      nodeId: input.consumedNodeId,
      depth: 0,
    },
    new Set([input.consumedNodeId]),
    context,
  );

  // The report and the contract must both grant the AI award; metrics only size it.
  if (metrics.aiProvider && input.report.dataConsumerIsAIProvider && contract.extraIncentiveForAIProvider) {
    spread(
      {
        payerId: contract.orchestratorId,
        recipientId: input.report.dataConsumerId,
        amount: awardUnits(metrics.aiProvider, 'metrics.aiProvider'),
        reason: 'ai-provider',
        nodeId: input.outputNodeId,
        depth: 0,
      },
      new Set([input.outputNodeId]),
      context,
    );
  }
  return context.parts;
}

/** numPoints × factor in base units, rounded down. */
function awardUnits(metric: AwardMetric, label: string): bigint {
  return applyPpm(pointsToUnits(metric.numPoints, `${label}.numPoints`), factorToPpm(metric.factor, `${label}.factor`));
}

function upstreamRule(contract: UseCaseContract): UpstreamRule | null {
  const upstream = contract.upstream;
  if (!upstream) return null;
  const sharePpm = factorToPpm(upstream.share, 'upstream.share');
  return sharePpm === 0n ? null : { sharePpm, depth: upstream.depth };
}

/** Records what the holder keeps, then hands the upstream share to the parents' owners (depth-first, nodeId order). */
function spread(holding: Holding, path: ReadonlySet<string>, context: SpreadContext): void {
  const { rule, lineage, parts } = context;
  const parents = rule && holding.depth < rule.depth ? payableParents(lineage, holding.nodeId, path) : [];
  const passedOn = rule && parents.length > 0 ? applyPpm(holding.amount, rule.sharePpm) : 0n;
  const kept = holding.amount - passedOn;
  if (kept > 0n) {
    parts.push({
      payerId: holding.payerId,
      recipientId: holding.recipientId,
      amount: toUnits(kept),
      reason: holding.reason,
      nodeId: holding.nodeId,
      depth: holding.depth,
    });
  }
  if (passedOn === 0n) return;

  const count = BigInt(parents.length);
  const base = passedOn / count;
  const remainder = passedOn % count;
  parents.forEach((parent, index) => {
    const amount = base + (BigInt(index) < remainder ? 1n : 0n);
    if (amount === 0n) return;
    spread(
      {
        payerId: holding.payerId,
        recipientId: parent.ownerId,
        amount,
        reason: 'upstream',
        nodeId: parent.nodeId,
        depth: holding.depth + 1,
      },
      new Set([...path, parent.nodeId]),
      context,
    );
  });
}

/** The parents that can receive a share: known owner, not already on the path; unique, in nodeId order. */
function payableParents(
  lineage: LineageSlice,
  nodeId: string,
  path: ReadonlySet<string>,
): { nodeId: string; ownerId: string }[] {
  const node = lineageNode(lineage, nodeId);
  if (!node) return [];
  const parents: { nodeId: string; ownerId: string }[] = [];
  for (const parentId of [...new Set(node.parentIds)].sort(compareIds)) {
    const ownerId = lineageNode(lineage, parentId)?.ownerId ?? null;
    if (ownerId !== null && !path.has(parentId)) parents.push({ nodeId: parentId, ownerId });
  }
  return parents;
}

function lineageNode(lineage: LineageSlice, nodeId: string) {
  return Object.hasOwn(lineage.nodes, nodeId) ? lineage.nodes[nodeId] : undefined;
}

/** Code-unit order: the same on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Turns award parts into a distribution: drops self-payments and zero parts, merges the rest per
 * (payer, recipient) into sorted lines and sums them into totalDue. Shared with pool settlement.
 */
export function distributionFromParts(allParts: readonly AwardPart[]): Distribution {
  const parts = allParts.filter((p) => p.payerId !== p.recipientId && fromUnits(p.amount) > 0n);
  const byPair = new Map<string, Map<string, bigint>>();
  for (const part of parts) {
    const byRecipient = byPair.get(part.payerId) ?? new Map<string, bigint>();
    byRecipient.set(part.recipientId, (byRecipient.get(part.recipientId) ?? 0n) + fromUnits(part.amount));
    byPair.set(part.payerId, byRecipient);
  }
  const lines: AllocationLine[] = [];
  for (const [payerId, byRecipient] of sortedEntries(byPair)) {
    for (const [recipientId, amount] of sortedEntries(byRecipient)) {
      lines.push({ payerId, recipientId, amount: toUnits(amount) });
    }
  }
  return { lines, parts, totalDue: toUnits(sumUnits(lines.map((l) => l.amount))) };
}

/** What each recipient should receive in total, over all payers — what detection compares with the chain. */
export function expectedPerRecipient(distribution: Distribution): Record<string, Units> {
  const totals = new Map<string, bigint>();
  for (const line of distribution.lines) {
    totals.set(line.recipientId, (totals.get(line.recipientId) ?? 0n) + fromUnits(line.amount));
  }
  return Object.fromEntries(sortedEntries(totals).map(([id, amount]) => [id, toUnits(amount)]));
}

function sortedEntries<V>(map: Map<string, V>): [string, V][] {
  return [...map.entries()].sort(([a], [b]) => compareIds(a, b));
}
