import { REVIEW_DECISIONS, type AwardMetric, type ReviewDecision } from './incidents';

/**
 * Checks a reviewer's decision where it arrives — the incident run's Update validator and Signal
 * handler — without zod (workflow code stays small and deterministic). Returns what is wrong, or
 * null. The API checks the same rules with its schema first, so a bad request never gets this far.
 */
export function reviewDecisionProblem(input: unknown): string | null {
  if (typeof input !== 'object' || input === null) return 'the decision must be an object {decision, comment, correctedMetrics?}';
  const { decision, comment, correctedMetrics } = input as Partial<ReviewDecision>;
  if (!REVIEW_DECISIONS.includes(decision as never)) return `decision must be one of ${REVIEW_DECISIONS.join(', ')}`;
  if (typeof comment !== 'string' || comment.trim() === '' || comment.length > 2000) return 'comment must be a non-empty text of at most 2000 characters';
  if (decision !== 'adjust') return correctedMetrics === undefined ? null : 'correctedMetrics is only allowed with decision adjust';
  if (typeof correctedMetrics !== 'object' || correctedMetrics === null) return 'correctedMetrics is required with decision adjust';
  const terms = Object.entries(correctedMetrics);
  if (terms.length === 0) return 'correctedMetrics must correct at least one term';
  for (const [term, metric] of terms) {
    if (term !== 'incentiveForDataProvider' && term !== 'extraIncentiveForAIProvider') return `correctedMetrics.${term} is not a term (incentiveForDataProvider, extraIncentiveForAIProvider)`;
    const problem = metricProblem(metric);
    if (problem) return `correctedMetrics.${term}: ${problem}`;
  }
  return null;
}

function metricProblem(metric: unknown): string | null {
  if (typeof metric !== 'object' || metric === null) return 'must be an object {numPoints?, factor?}';
  const { numPoints, factor, ...rest } = metric as Partial<AwardMetric>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return `unknown field(s) ${unknown.join(', ')}`;
  if (numPoints !== undefined && !(typeof numPoints === 'number' && Number.isFinite(numPoints) && numPoints >= 0)) return 'numPoints must be a number ≥ 0';
  if (factor !== undefined && !(typeof factor === 'number' && factor >= 0 && factor <= 1)) return 'factor must be a number from 0 to 1';
  return null;
}
