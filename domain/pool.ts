import { type ExactDecimal, parseDecimal, pointsToUnits, toUnits } from './amounts';
import { DvctError } from './errors';
import { compareIds, distributionFromParts } from './incentives';
import type { AwardPart, Distribution, UseCaseContract } from './types';

/**
 * Use-case pool settlement: the orchestrator shares a reward pool among the contract's members
 * by weight (the collective data set's "equal data position" is the case of equal weights).
 */

/**
 * Splits `total` base units by weight with the largest-remainder (Hamilton) method. Quotas
 * total × w / W are computed exactly (weights are read through their decimal text and scaled to
 * integers); each gets the floor of its quota, and the units left over go one each to the largest
 * fractional remainders, ties to the lower id. The amounts sum to `total`, each is within one unit
 * of its exact quota, a larger weight never gets less, and a zero weight gets nothing.
 * Returned in input order.
 */
export function splitByWeights(
  total: bigint,
  weights: readonly { id: string; weight: number }[],
): { id: string; amount: bigint }[] {
  if (total < 0n) throw new DvctError('VALIDATION_FAILED', `The total to split must not be negative (got ${total})`);
  if (weights.length === 0) throw new DvctError('VALIDATION_FAILED', 'There are no weights to split by');
  const ids = new Set<string>();
  for (const { id } of weights) {
    if (ids.has(id)) throw new DvctError('VALIDATION_FAILED', `${id} has more than one weight`, { id });
    ids.add(id);
  }

  const scaled = integerWeights(weights.map((w) => parseDecimal(w.weight, `weight of ${w.id}`)));
  const sum = scaled.reduce((a, b) => a + b, 0n);
  if (sum === 0n) throw new DvctError('VALIDATION_FAILED', 'The weights must have a positive sum');

  const shares = weights.map((w, index) => {
    const numerator = total * (scaled[index] ?? 0n);
    return { id: w.id, amount: numerator / sum, remainder: numerator % sum };
  });
  let leftOver = total - shares.reduce((a, s) => a + s.amount, 0n);
  // Σ remainders = leftOver × sum with each remainder < sum, so only positive remainders are reached.
  const byRemainder = [...shares].sort((a, b) =>
    a.remainder === b.remainder ? compareIds(a.id, b.id) : a.remainder > b.remainder ? -1 : 1,
  );
  for (const share of byRemainder) {
    if (leftOver === 0n) break;
    share.amount += 1n;
    leftOver -= 1n;
  }
  return shares.map(({ id, amount }) => ({ id, amount }));
}

/** Exact decimals → integers with the same ratios, by bringing them to a common exponent. */
function integerWeights(decimals: ExactDecimal[]): bigint[] {
  const lowest = decimals.reduce((min, d) => (d.coefficient > 0n ? Math.min(min, d.exponent) : min), Infinity);
  return decimals.map((d) => (d.coefficient === 0n ? 0n : d.coefficient * 10n ** BigInt(d.exponent - lowest)));
}

/**
 * The pool's distribution: the orchestrator pays each weighted member its share (reason 'pool').
 * The orchestrator's own share is a self-payment and is dropped, like every self-payment.
 */
export function computePoolDistribution(contract: UseCaseContract): Distribution {
  const pool = contract.rewardPool;
  if (!pool) throw new DvctError('NO_REWARD_POOL', `Contract ${contract.id} defines no reward pool`, { contractId: contract.id });
  const total = pointsToUnits(pool.numPoints, 'rewardPool.numPoints');
  const shares = splitByWeights(
    total,
    pool.weights.map((w) => ({ id: w.participantId, weight: w.weight })),
  );
  const parts: AwardPart[] = shares.map(({ id, amount }) => ({
    payerId: contract.orchestratorId,
    recipientId: id,
    amount: toUnits(amount),
    reason: 'pool',
    nodeId: null,
    depth: 0,
  }));
  return distributionFromParts(parts);
}
