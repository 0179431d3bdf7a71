import type { Period } from '../db/records';
import type { Store } from '../db/store';
import { buildProviderReport, type ProviderReport } from '../domain/provider-report';
import { linkVisibilityOf } from './lineage-scope';

/** How far down the lineage a use still counts as a use of the provider's data. */
export const REPORT_MAX_DEPTH = 20;

/**
 * Reads what a provider's report is made of — its nodes, everything derived from them, the
 * exchanges that consumed any of those, and what it was allocated — and hands it to the pure
 * aggregation.
 *
 * "Derived from them" is read with the organisation's own lineage visibility (api/lineage-scope.ts),
 * whoever asks: the walk follows only links it may see, and a use counts only when it may see the
 * consuming exchange. Anyone may name any data as the parent of the data it consumes, so walking
 * every link would let an organisation link its node above another's data and read, in its
 * report, who used that data and how.
 */
export async function loadProviderReport(store: Store, participantId: string, period: Period): Promise<ProviderReport> {
  const [owned, { visibleExchanges }] = await Promise.all([store.nodesOwnedBy(participantId), linkVisibilityOf(store, participantId)]);
  const reached = await store.downstream(owned.map((n) => n.nodeId), REPORT_MAX_DEPTH, { alongExchanges: visibleExchanges });
  const reach = new Map(reached.nodes.map((n) => [n.nodeId, n]));
  const ownDataId = new Map(owned.map((n) => [n.nodeId, n.dataId]));
  const [exchanges, received] = await Promise.all([store.exchangesConsuming([...reach.keys()], period), store.receivedBy(participantId, period)]);

  return buildProviderReport({
    participantId,
    period: { from: period.from ?? null, to: period.to ?? null },
    uses: exchanges.flatMap((e) => {
      const consumed = e.consumedNodeId ? reach.get(e.consumedNodeId) : undefined;
      if (!consumed || !e.report || !visibleExchanges.has(e.id)) return [];
      return [
        {
          exchangeId: e.id,
          at: e.createdAt,
          usecaseContractId: e.usecaseContractId,
          contractId: e.report.contractId,
          consumerId: e.consumerId,
          status: e.status,
          dataId: e.report.dataId,
          nodeId: consumed.nodeId,
          depth: consumed.depth,
          sourceDataId: ownDataId.get(consumed.sourceNodeId) ?? consumed.sourceNodeId,
        },
      ];
    }),
    lines: received.lines,
    awards: received.awards,
    truncated: reached.truncated,
  });
}
