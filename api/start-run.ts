import { DvctError } from '../domain/errors';
import type { StartedRun } from './workflow-gateway';

/**
 * Starts a run, turning a Temporal failure into a 503 the client can act on: every start is keyed
 * by a business id, so repeating the same request is safe and finishes the job.
 */
export async function startRun(what: string, start: () => Promise<StartedRun>): Promise<StartedRun> {
  try {
    return await start();
  } catch (err) {
    throw new DvctError('DEPENDENCY_UNAVAILABLE', `Temporal did not start ${what}; repeat the same request.`, {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
}
