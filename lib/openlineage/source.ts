import type { AllocationRecord, ExchangeRecord } from '../../db/records';
import type { Store } from '../../db/store';
import type { RunEventSource } from './event';

/**
 * Reads what buildRunEvent needs about an exchange the caller already holds: its contract and its
 * two lineage nodes. The API and the push activity both build events from this, so the event a
 * member downloads is the one a configured OpenLineage endpoint receives.
 */
export async function runEventSource(
  store: Store,
  instance: RunEventSource['instance'],
  exchange: ExchangeRecord,
  allocations: AllocationRecord[],
): Promise<RunEventSource> {
  const [contract, consumed, output] = await Promise.all([
    store.getContract(exchange.usecaseContractId),
    exchange.consumedNodeId ? store.getNode(exchange.consumedNodeId) : null,
    exchange.outputNodeId ? store.getNode(exchange.outputNodeId) : null,
  ]);
  return { instance, exchange, contract, consumed, output, allocations };
}
