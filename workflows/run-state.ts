import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { DvctStage } from '../domain/search-attributes';
import type { ExchangeStage } from '../domain/types';
import { progressQuery, type ExchangeProgress } from './definitions';

/**
 * The state a run shows about itself: answered by the progress query, mirrored into the
 * DvctStage search attribute and the Web UI's "current details", so the three never disagree.
 */
export class RunState {
  readonly progress: ExchangeProgress;

  constructor(id: string) {
    this.progress = {
      id,
      stage: 'received',
      stages: [{ stage: 'received', at: new Date().toISOString() }],
      nodes: null,
      prevRootHops: 0,
      distribution: null,
      allocation: null,
      detection: null,
      error: null,
      incidents: [],
    };
    // Registered before the first await, so a query never finds the run without an answer.
    setHandler(progressQuery, () => this.progress);
  }

  enter(stage: ExchangeStage, details: string): void {
    this.progress.stage = stage;
    this.progress.stages.push({ stage, at: new Date().toISOString() });
    upsertSearchAttributes([{ key: DvctStage, value: stage }]);
    setCurrentDetails(`**Stage:** ${stage}\n\n${details}`);
  }
}

/** The named cause of a failed activity or child run, as ERRORS names it. */
export function failureOf(err: unknown): { code: string; message: string; details: unknown } {
  let cause: unknown = err;
  while (cause instanceof ActivityFailure || cause instanceof ChildWorkflowFailure) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    return { code: cause.type ?? 'INTERNAL', message: cause.message, details: cause.details?.[0] ?? null };
  }
  return { code: 'INTERNAL', message: cause instanceof Error ? cause.message : String(cause), details: null };
}

/** Fails the run for good with the cause's name, so the Web UI shows e.g. CONTRACT_NOT_IN_FORCE. */
export function permanentFailure(failure: { code: string; message: string; details: unknown }): ApplicationFailure {
  return ApplicationFailure.create({
    type: failure.code,
    message: failure.message,
    nonRetryable: true,
    details: failure.details === null ? [] : [failure.details],
  });
}
