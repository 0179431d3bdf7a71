import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { automaticReview } from '../domain/correction';
import type { Decided, IncidentStatus, ReviewPolicy } from '../domain/incidents';
import { reviewDecisionProblem } from '../domain/review-input';
import { DvctContractId, DvctParticipants, DvctReviewStatus } from '../domain/search-attributes';
import { incidentProgressQuery, reviewSignal, reviewUpdate, type IncidentProgress, type IncidentWorkflowInput, type ReviewInput } from './definitions';
import { act } from './activities';
import { deliverNotifications } from './notify';

export interface IncidentOutcome {
  incidentId: string;
  status: IncidentStatus;
  decision: Decided;
  /** When the correction's allocations become releasable; null when nothing was allocated. */
  releaseAt: string | null;
  txHashes: string[];
}

/**
 * One incident, as the design document's error-handling steps, each a step in the history:
 * detection (assess) → rollback (a compensation: runs even when the run is cancelled) → review
 * (automatic, else a reviewer's Update/Signal with a deadline, then escalation and the contract's
 * default) → correction (the same pure function, other metrics) → re-distribution (only the
 * difference, once per incident) → notification → resolution.
 *
 * Chain writes (rollback, re-distribution, release) run to their end even when the run is
 * cancelled meanwhile, so that a compensation — this run's, or its parent exchange's, which reads
 * the holdings only once this run has finished cancelling — never misses a write still in flight.
 */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentOutcome> {
  const { incidentId } = input;
  const progress: IncidentProgress = { incidentId, status: 'open', step: 'detection', awaitingReview: null, decision: null };
  // What the run has done so far, for a truthful record if it is cancelled.
  const done = { rolledBack: null as number | null, redistributed: false, closedAs: null as IncidentStatus | null };
  let reviewed: Decided | undefined;
  const ignoredSignals: string[] = [];

  const accept = (review: ReviewInput): Decided => {
    reviewed = {
      decision: review.decision,
      comment: review.comment,
      ...(review.correctedMetrics ? { correctedMetrics: review.correctedMetrics } : {}),
      decidedBy: review.reviewerId ?? 'temporal-ui',
      decidedAt: new Date().toISOString(),
    };
    return reviewed;
  };
  setHandler(incidentProgressQuery, () => progress);
  setHandler(reviewUpdate, accept, {
    validator: (review) => {
      if (!progress.awaitingReview || reviewed) {
        throw ApplicationFailure.create({ type: 'REVIEW_NOT_AWAITED', message: `Incident ${incidentId} is not waiting for a review (it is ${progress.status})`, nonRetryable: true });
      }
      const problem = reviewDecisionProblem(review);
      if (problem) throw ApplicationFailure.create({ type: 'VALIDATION_FAILED', message: problem, nonRetryable: true });
    },
  });
  // The Web UI's "Send a Signal": no validator there, so a decision that does not hold is recorded as ignored.
  setHandler(reviewSignal, (review) => {
    const problem = !progress.awaitingReview || reviewed ? 'the incident is not waiting for a review' : reviewDecisionProblem(review);
    if (problem) ignoredSignals.push(problem);
    else accept(review);
  });

  const step = (name: string, details: string) => {
    progress.step = name;
    setCurrentDetails(`**Incident** \`${incidentId}\` — **${name}**\n\n${details}`);
  };
  const setStatus = (status: IncidentStatus) => {
    progress.status = status;
    upsertSearchAttributes([{ key: DvctReviewStatus, value: status }]);
  };

  try {
    step('detection', `Comparing the chain, the DVCT's record and the contract for exchange \`${input.exchangeId}\`.`);
    await act.openIncident({ incidentId, exchangeId: input.exchangeId, source: input.source });
    const { assessment, policy, contractId, participants } = await act.assessIncident.executeWithOptions(
      { summary: 'detection: chain, record and contract compared' },
      [{ incidentId }],
    );
    upsertSearchAttributes([
      { key: DvctContractId, value: contractId },
      { key: DvctParticipants, value: participants },
      { key: DvctReviewStatus, value: 'open' },
    ]);

    step('rollback', `Revoking whatever is held above what the contract makes due. Cause: ${assessment.cause}`);
    const rollback = await CancellationScope.nonCancellable(() =>
      act.rollbackIncident.executeWithOptions({ summary: 'rollback: over-allocations back to their payers' }, [{ incidentId }]),
    );
    done.rolledBack = rollback.revoked;

    step('review', 'Automatic review against the contract.');
    let decision: Decided;
    const verdict = automaticReview(assessment, policy, new Date().toISOString());
    if ('needsReviewer' in verdict) {
      decision = await waitForReviewer(verdict.needsReviewer, policy);
    } else {
      decision = verdict;
    }
    progress.awaitingReview = null;
    progress.decision = decision;
    await act.recordReview({ incidentId, decision });

    step('correction', `Recomputing the distribution for **${decision.decision}** (by ${decision.decidedBy}).`);
    const { plan } = await act.correctIncident.executeWithOptions({ summary: `correction: ${decision.decision}` }, [{ incidentId, decision }]);

    step('redistribution', `Allocating ${plan.allocate.length} line(s), revoking ${plan.revoke.length}.`);
    const redistribution = await CancellationScope.nonCancellable(() =>
      act.redistributeIncident.executeWithOptions({ summary: `re-distribution: ${plan.allocate.length} line(s) in round ${incidentId}` }, [{ incidentId, plan }]),
    );
    done.redistributed = true;

    const changed = plan.allocate.length + plan.revoke.length + rollback.revoked > 0;
    const status: IncidentStatus = changed || decision.decision !== 'reject' ? 'resolved' : 'dismissed';
    step('notification', 'Telling every participant the error, its cause and the correction.');
    await deliverNotifications(await act.notifyIncident({ incidentId, outcome: status }));
    await act.closeIncident({ incidentId, status, summary: closingSummary(status, decision, ignoredSignals) });
    done.closedAs = status;
    setStatus(status);

    // A standalone incident (its exchange's run is over) releases its own correction after the window.
    if (input.standalone && redistribution.releaseAt) {
      step('verification-window', `The correction is revocable until ${redistribution.releaseAt}.`);
      await sleep(Math.max(0, Date.parse(redistribution.releaseAt) - Date.now()), { summary: 'correction verification window' });
      await CancellationScope.nonCancellable(() =>
        act.releaseAllocations.executeWithOptions({ summary: 'release the correction' }, [{ subjectId: input.exchangeId, round: incidentId }]),
      );
    }
    step(status, closingSummary(status, decision, ignoredSignals));
    return { incidentId, status, decision, releaseAt: redistribution.releaseAt, txHashes: [...rollback.txHashes, ...redistribution.txHashes] };
  } catch (err) {
    if (isCancellation(err)) {
      // The compensation: a correction still held goes back to its payers; the record says what had been done.
      await CancellationScope.nonCancellable(async () => {
        step('cancelled', cancelledSummary(done));
        await act.cancelIncident.executeWithOptions({ summary: 'compensation: revoke the correction still held' }, [{ incidentId, done: cancelledSummary(done) }]);
        setStatus('cancelled');
      });
    }
    throw err;
  }

  async function waitForReviewer(question: string, policy: ReviewPolicy): Promise<Decided> {
    const deadline = new Date(Date.now() + policy.deadlineSeconds * 1000).toISOString();
    progress.awaitingReview = { question, deadline };
    await act.awaitReview({ incidentId, question, deadline });
    setStatus('awaiting-review');
    step(
      'awaiting-review',
      [
        `**A reviewer must decide.** ${question}`,
        '',
        `Deadline: ${deadline}; then the contract's default **${policy.onDeadline}** applies.`,
        '',
        'Send the Update (or Signal) `review` with:',
        '`{"decision": "approve-correction" | "reject" | "adjust", "comment": "…", "correctedMetrics": {"extraIncentiveForAIProvider": {"factor": 1}}}`',
        '(correctedMetrics only with adjust), or `POST /v1/exchanges/' + input.exchangeId + '/review`.',
      ].join('\n'),
    );
    const decided = await condition(() => reviewed !== undefined, Date.parse(deadline) - Date.now());
    if (decided) return reviewed!;

    setStatus('escalated');
    await act.escalateIncident({ incidentId, deadline, fallback: policy.onDeadline });
    await deliverNotifications(await act.notifyEscalation({ incidentId, fallback: policy.onDeadline }));
    return {
      decision: policy.onDeadline,
      comment: `No review by ${deadline}: the contract's default applies.`,
      decidedBy: 'deadline',
      decidedAt: new Date().toISOString(),
    };
  }
}

/** What a cancelled run had done, in words: nothing is claimed that did not happen. */
function cancelledSummary(done: { rolledBack: number | null; redistributed: boolean; closedAs: IncidentStatus | null }): string {
  const run = `Run \`${workflowInfo().workflowId}\``;
  if (done.rolledBack === null) return `The run was cancelled before its rollback: it changed nothing on chain. ${run}.`;
  const rollback = done.rolledBack > 0 ? `its rollback had revoked ${done.rolledBack} line(s), which stay revoked` : 'its rollback had found nothing to revoke';
  if (done.closedAs) return `The run was cancelled during its correction's verification window, after it was ${done.closedAs}; ${rollback}. ${run}.`;
  if (done.redistributed) return `The run was cancelled after its re-distribution, before it was closed; ${rollback}. ${run}.`;
  return `The run was cancelled before any correction was made; ${rollback}. ${run}.`;
}

function closingSummary(status: IncidentStatus, decision: Decided, ignoredSignals: string[]): string {
  const ignored = ignoredSignals.length > 0 ? ` Ignored review signal(s): ${ignoredSignals.join('; ')}.` : '';
  return `${status === 'dismissed' ? 'Dismissed' : 'Resolved'}: ${decision.decision} by ${decision.decidedBy} — ${decision.comment}.${ignored} Run \`${workflowInfo().workflowId}\`.`;
}
