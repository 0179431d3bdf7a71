import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { DvctStage } from '../domain/search-attributes';
import type { ExchangeStage } from '../domain/types';
import { progressQuery, type ExchangeProgress } from './definitions';

/**
 * The stages a run can rest in for long — waiting on peers, on a payer's deposit, out the
 * verification window, on an incident — and the ends. DvctStage is written only when a run enters
 * one of these: they are what operators filter for. Every write is a history event and a
 * visibility update (eight of them were about a fifth of the Temporal server's work for a run),
 * so the stages a run passes through in a moment are shown in its current details and progress
 * query only.
 */
const RESTING_STAGES: ReadonlySet<ExchangeStage> = new Set([
  'updating-prevroots',
  'allocating-points',
  'handling-incident',
  'verification-window',
  'completed',
  'rejected',
  'failed',
  'cancelled',
]);

/** Runs started before RESTING_STAGES wrote every stage; they replay as they ran. */
const STAGE_ATTRIBUTE_AT_REST = 'dvct-stage-attribute-at-rest';

/**
 * The state a run shows about itself: answered by the progress query and the Web UI's "current
 * details" (every stage), and mirrored into the DvctStage search attribute (the resting ones).
 */
export class RunState {
  readonly progress: ExchangeProgress;
  private readonly writesEveryStage: boolean;

  constructor(id: string) {
    this.writesEveryStage = !patched(STAGE_ATTRIBUTE_AT_REST);
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
    if (this.writesEveryStage || RESTING_STAGES.has(stage)) upsertSearchAttributes([{ key: DvctStage, value: stage }]);
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
