import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { NodeKind } from '../../domain/types';

/**
 * A lineage node: one piece of data in the value chain. A placeholder is a parent known only from a
 * bare prevDataId; the first exchange that describes it fills in the owner and metadata.
 * With several instances, a row whose `homeInstanceId` is set is a reference copy of a node homed
 * on that instance (the one serving its owner); null means the node is homed here.
 */
export const Node = defineEntity({
  name: 'Node',
  properties: {
    nodeId: p.text().primary(),
    dataId: p.text().unique(),
    kind: p.text().$type<NodeKind>(),
    ownerId: p.text().nullable(),
    placeholder: p.boolean(),
    dvctId: p.text().nullable(),
    usecaseContractId: p.text().nullable(),
    dataProviderId: p.text().nullable(),
    dataConsumerId: p.text().nullable(),
    createdByExchangeId: p.text(),
    homeInstanceId: p.text().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export type NodeRow = InferEntity<typeof Node>;
