import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { DvctActivities } from '../activities';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: DvctActivities;
  /** A pre-built bundle (tests build one per file); without it the worker bundles workflows/ itself. */
  workflowBundle?: WorkflowBundle;
  /**
   * Longest a heartbeat waits to be sent, hence how soon a heartbeating activity hears it was
   * cancelled; Temporal's default (up to 60 s) unless given. Tests shorten it to see a
   * cancellation reach an activity within the test.
   */
  maxHeartbeatThrottleMs?: number;
}

/** The one place worker settings live, shared by the worker process and the tests. */
export function createDvctWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // Chain writes are serialised per process anyway; many concurrent activities mostly wait on I/O.
    maxConcurrentActivityTaskExecutions: 50,
    ...(opts.maxHeartbeatThrottleMs !== undefined ? { maxHeartbeatThrottleInterval: opts.maxHeartbeatThrottleMs } : {}),
  });
}
