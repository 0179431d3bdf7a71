import { INCIDENT_ROUND_INITIAL } from './incidents';

/**
 * Identifiers built from business keys that workflow code needs too (it cannot hash: no
 * node:crypto in the workflow sandbox), so they are plain string formats.
 */

export function exchangeWorkflowId(exchangeId: string): string {
  return `exchange-${exchangeId}`;
}

export function incidentWorkflowId(incidentId: string): string {
  return `incident-${incidentId}`;
}

/**
 * The run that takes an exchange's incidents one at a time once the exchange's own run is over:
 * one per exchange, started (or signalled) with signal-with-start.
 */
export function exchangeIncidentsWorkflowId(exchangeId: string): string {
  return `incidents-${exchangeId}`;
}

/** The one incident an exchange's own detection can open (detection runs once, after allocation). */
export function detectionIncidentId(exchangeId: string): string {
  return `inc-${exchangeId}-detection`;
}

/**
 * The key an allocation round is stored under on chain: the exchange id for its own allocation,
 * `<exchangeId>/<incidentId>` for a correction — so each incident allocates once per
 * (payer, recipient), and the ledger refuses a second allocation of the same round.
 */
export function chainSubjectOf(exchangeId: string, round: string): string {
  return round === INCIDENT_ROUND_INITIAL ? exchangeId : `${exchangeId}/${round}`;
}
