import { ApplicationFailure, allHandlersFinished, condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import type { Decided } from '../../../domain/incidents';
import { raiseIncidentSignal, reviewUpdate, type ExchangeIncidentsInput, type IncidentWorkflowInput, type RaiseIncident } from '../../../workflows/definitions';

/**
 * Stand-ins for the runs the API talks to, with only their message handlers: the gateway test
 * checks what the API sends and how it reads the answers, not what the real runs do with them.
 */

export const raisedQuery = defineQuery<RaiseIncident[]>('raised');
export const inputQuery = defineQuery<IncidentWorkflowInput | ExchangeIncidentsInput>('input');
export const finishSignal = defineSignal('finish');

/** An open exchange run: keeps the incidents raised to it until told to finish. */
export async function standInExchangeWorkflow(): Promise<void> {
  const raised: RaiseIncident[] = [];
  let finished = false;
  setHandler(raiseIncidentSignal, (r) => void raised.push(r));
  setHandler(raisedQuery, () => raised);
  setHandler(finishSignal, () => void (finished = true));
  await condition(() => finished);
}

/** Registered under the real incident queue's type name: keeps what it is signalled until told to finish. */
export async function exchangeIncidentsWorkflow(input: ExchangeIncidentsInput): Promise<void> {
  const raised: RaiseIncident[] = [];
  let finished = false;
  setHandler(inputQuery, () => input);
  setHandler(raiseIncidentSignal, (r) => void raised.push(r));
  setHandler(raisedQuery, () => raised);
  setHandler(finishSignal, () => void (finished = true));
  await condition(() => finished);
}

/** Registered under the real incident run's type name: waits for one review, then until told to finish. */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<void> {
  let decided: Decided | null = null;
  let finished = false;
  setHandler(inputQuery, () => input);
  setHandler(finishSignal, () => void (finished = true));
  setHandler(
    reviewUpdate,
    ({ reviewerId, ...decision }) => {
      decided = { ...decision, decidedBy: reviewerId ?? 'operator', decidedAt: new Date().toISOString() };
      return decided;
    },
    {
      validator: (review) => {
        if (decided) throw ApplicationFailure.create({ type: 'REVIEW_NOT_AWAITED', message: 'The incident was decided already', nonRetryable: true });
        if (review.decision === 'adjust' && !review.correctedMetrics) {
          throw ApplicationFailure.create({ type: 'VALIDATION_FAILED', message: 'correctedMetrics is required with decision adjust', nonRetryable: true });
        }
        if (review.comment === 'refuse') throw ApplicationFailure.create({ type: 'SOMETHING_ELSE', message: 'refused for another reason', nonRetryable: true });
      },
    },
  );
  await condition(() => finished);
  await condition(allHandlersFinished);
}
