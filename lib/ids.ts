import { createHash } from 'node:crypto';
import type { IncidentSource } from '../domain/incidents';
import type { ExchangeReport } from '../domain/types';

/**
 * Deterministic identifiers from business keys. The same report always gives the same exchange
 * id (hence the same workflow id), and the same dataId the same node id, so a repeated or retried
 * request lands on the record that already exists instead of creating a second one.
 */
function digest(parts: readonly string[], length = 32): string {
  // Length-prefixing each part keeps ("ab","c") and ("a","bc") apart.
  const h = createHash('sha256');
  for (const p of parts) h.update(`${Buffer.byteLength(p)}:${p};`);
  return h.digest('hex').slice(0, length);
}

/** The output a consumer produced when the report does not name it: one per consumer and use case. */
export function outputDataIdFor(report: Pick<ExchangeReport, 'outputDataId' | 'dataConsumerId' | 'usecaseContractId'>): string {
  return report.outputDataId ?? `${report.dataConsumerId}/${report.usecaseContractId}/output`;
}

/** The exchange's business key: who used which data, derived from what, under which contracts. */
export function exchangeIdFor(report: ExchangeReport): string {
  return `ex-${digest([
    report.usecaseContractId,
    report.contractId,
    report.dataProviderId,
    report.dataConsumerId,
    report.dataId,
    outputDataIdFor(report),
    [...report.prevDataIds].sort().join('\n'),
  ])}`;
}

/** A dataId is a catalogue identifier, unique in the dataspace, so it alone names the node. */
export function nodeIdFor(dataId: string): string {
  return `node-${digest([dataId])}`;
}

/** A pool settlement is keyed by contract and the orchestrator's round label. */
export function settlementIdFor(contractId: string, round: string): string {
  return `st-${digest([contractId, round])}`;
}

export { exchangeWorkflowId, incidentWorkflowId } from '../domain/workflow-ids';

/**
 * An incident raised from outside a run is keyed by what raised it: the exchange, the source and
 * the source's own key (for a dispute: the participant and its canonical request), so the same
 * request again is the same incident and the same run.
 */
export function incidentIdFor(exchangeId: string, source: IncidentSource, key: readonly string[]): string {
  return `inc-${digest([exchangeId, source, ...key])}`;
}

export function settlementWorkflowId(settlementId: string): string {
  return `settlement-${settlementId}`;
}

/**
 * A revocation is keyed by the lines it takes back: the exchange, the payers (sorted, joined by
 * '+' when a recipient is revoked from several at once) and the recipient — so a repeated request
 * is the same revocation and the same run.
 */
export function revocationIdFor(exchangeId: string, payerIds: readonly string[], recipientId: string): string {
  return `${exchangeId}-${[...payerIds].sort().join('+')}-${recipientId}`;
}

export function revocationWorkflowId(revocationId: string): string {
  return `revocation-${revocationId}`;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** One prevRoot update handed between instances: the same (exchange, parent, child) by any path is one request. */
export function peerRequestIdFor(exchangeId: string, parentNodeId: string, childNodeId: string): string {
  return `pr-${digest([exchangeId, parentNodeId, childNodeId])}`;
}
