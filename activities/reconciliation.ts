import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { handOverIncident, type IncidentHandoff, type IncidentTaker } from '../lib/incident-handoff';
import type { ActivityDeps } from './deps';
import { chainDrift, readPosition } from './incident-position';

export interface ReconciliationMismatch {
  exchangeId: string;
  /** The run that holds the exchange's allocations, or held them. */
  workflowId: string;
  /** The same mismatch always gives the same incident, so a later pass does not open a second one. */
  incidentId: string;
  drift: string[];
  /** For the search attributes of the run that takes the incident. */
  meta: { contractId: string; participants: string[] };
}

/**
 * The periodic reconciliation's one activity: for every exchange allocated within the lookback,
 * the database's record against the chain. A line whose state or amount differs — a revoke or
 * release sent straight to the contract — is a mismatch, unless an incident is already handling
 * the exchange or the row changed in the last `settleSeconds` (a step between its chain write
 * and its record).
 */
export function reconciliationActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async findReconciliationMismatches(args: { lookbackSeconds: number; settleSeconds?: number }): Promise<{ checked: number; mismatches: ReconciliationMismatch[] }> {
      const now = Date.now();
      const exchangeIds = await store.listExchangesStillHolding(new Date(now - args.lookbackSeconds * 1000));
      const settledBefore = now - (args.settleSeconds ?? 30) * 1000;
      const mismatches: ReconciliationMismatch[] = [];
      for (const exchangeId of exchangeIds) {
        Context.current().heartbeat(exchangeId);
        const position = await readPosition(deps, exchangeId);
        const drift = chainDrift(position.observed).filter(({ record }) => record.updatedAt.getTime() < settledBefore);
        if (drift.length === 0 || (await store.openIncidentsOf(exchangeId)).length > 0) continue;
        const described = drift
          .map(({ record, onChain }) => `${record.round}|${record.payerId}|${record.recipientId}|recorded ${record.status} ${record.amount}|chain ${onChain.status} ${onChain.amount}`)
          .sort();
        const fingerprint = createHash('sha256').update(described.join('\n')).digest('hex').slice(0, 16);
        const participants = [...new Set(position.observed.flatMap(({ record }) => [record.payerId, record.recipientId]))].sort();
        mismatches.push({
          exchangeId,
          workflowId: position.exchange.workflowId,
          incidentId: `inc-${exchangeId}-rec-${fingerprint}`,
          drift: described,
          meta: { contractId: position.exchange.usecaseContractId, participants },
        });
      }
      return { checked: exchangeIds.length, mismatches };
    },

    /**
     * Hands an incident to whoever handles the exchange's incidents now — its run, or its incident
     * queue (lib/incident-handoff.ts) — with the worker's own Temporal client: workflow code cannot
     * signal-with-start.
     */
    async handOverIncident(args: IncidentHandoff): Promise<{ takenBy: IncidentTaker }> {
      const { client, info } = Context.current();
      return { takenBy: await handOverIncident(client, info.taskQueue, args) };
    },
  };
}
