import type { LineageSlice } from '../domain/incentives';
import { homeInstanceOf } from '../domain/directory';
import { DvctError } from '../domain/errors';
import type { ExchangeReport } from '../domain/types';
import { nodeIdFor, outputDataIdFor } from '../lib/ids';
import type { ActivityDeps } from './deps';

/** Steps 2 and 3: the lineage nodes of an exchange and the prevRoot update hops. */
export function nodeActivities({ store, instance, federation: { directory } }: ActivityDeps) {
  return {
    async createNodes(args: { exchangeId: string; report: ExchangeReport }): Promise<{ consumedNodeId: string; outputNodeId: string }> {
      const { exchangeId, report } = args;
      const consumedNodeId = nodeIdFor(report.dataId);
      const outputDataId = outputDataIdFor(report);
      const outputNodeId = nodeIdFor(outputDataId);
      if (consumedNodeId === outputNodeId) {
        throw new DvctError('VALIDATION_FAILED', `The output ${outputDataId} cannot be the data it was made from`);
      }
      const metadata = {
        dvctId: report.dvctId,
        usecaseContractId: report.usecaseContractId,
        dataProviderId: report.dataProviderId,
        dataConsumerId: report.dataConsumerId,
        createdByExchangeId: exchangeId,
      };
      await store.upsertNode({
        nodeId: consumedNodeId,
        dataId: report.dataId,
        // Data reported with parents is itself the product of an earlier processing step.
        kind: report.prevDataIds.length > 0 ? 'chain-data' : 'raw-data',
        ownerId: report.dataProviderId,
        placeholder: false,
        // With several instances the provider's data is homed on the instance serving it: this row is a reference copy.
        homeInstanceId: homeInstanceOf(directory, report.dataProviderId),
        ...metadata,
      });
      await store.upsertNode({
        nodeId: outputNodeId,
        dataId: outputDataId,
        kind: report.outputDataType ?? 'chain-data',
        ownerId: report.dataConsumerId,
        placeholder: false,
        homeInstanceId: homeInstanceOf(directory, report.dataConsumerId),
        ...metadata,
      });
      await store.linkNodes({
        parentNodeId: consumedNodeId,
        childNodeId: outputNodeId,
        exchangeId,
        usecaseContractId: report.usecaseContractId,
        contractId: report.contractId,
      });
      await store.updateExchange(exchangeId, { consumedNodeId, outputNodeId });
      return { consumedNodeId, outputNodeId };
    },

    /**
     * One hop of the prevRoot loop, the design document's alt block: a parent that does not exist
     * is created; one that exists gets the new child; either way it records that it learnt of
     * this exchange, and hands back its own parents so the loop can go on up. A parent homed on a
     * peer instance is named (`homeInstanceId`): its home carries the update on from there.
     */
    async applyPrevRootUpdate(args: {
      exchangeId: string;
      childNodeId: string;
      parentDataId?: string;
      parentNodeId?: string;
      depth: number;
      /** The link's contracts when the exchange is a peer's (not in this database). */
      link?: { usecaseContractId: string; contractId: string };
    }): Promise<{ parentNodeId: string; action: 'created' | 'linked' | 'propagated'; parentIds: string[]; homeInstanceId?: string }> {
      const parentNodeId = args.parentNodeId ?? nodeIdFor(args.parentDataId!);
      let action: 'created' | 'linked' | 'propagated' = 'propagated';
      if (args.parentDataId !== undefined) {
        const report = args.link ?? (await store.getExchange(args.exchangeId))?.report;
        if (!report) throw new DvctError('NOT_FOUND', `Exchange ${args.exchangeId} has no report`);
        const { created } = await store.upsertNode({
          nodeId: parentNodeId,
          dataId: args.parentDataId,
          kind: 'raw-data',
          // Nobody has described this data yet: its owner is unknown until a report names it.
          ownerId: null,
          placeholder: true,
          dvctId: instance.dvctId,
          usecaseContractId: report.usecaseContractId,
          dataProviderId: null,
          dataConsumerId: null,
          createdByExchangeId: args.exchangeId,
        });
        const link = await store.linkNodes({
          parentNodeId,
          childNodeId: args.childNodeId,
          exchangeId: args.exchangeId,
          usecaseContractId: report.usecaseContractId,
          contractId: report.contractId,
        });
        action = created ? 'created' : link.created ? 'linked' : 'propagated';
      }
      await store.recordPropagation({ ancestorNodeId: parentNodeId, exchangeId: args.exchangeId, viaNodeId: args.childNodeId, depth: args.depth });
      const home = (await store.getNode(parentNodeId))?.homeInstanceId ?? null;
      return { parentNodeId, action, parentIds: await store.getParentIds(parentNodeId), ...(home !== null && home !== directory.self ? { homeInstanceId: home } : {}) };
    },

    async loadUpstreamLineage(args: { nodeIds: string[]; depth: number }): Promise<LineageSlice> {
      return { nodes: await store.upstreamSlice(args.nodeIds, args.depth) };
    },
  };
}
