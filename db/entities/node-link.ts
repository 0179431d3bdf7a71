import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Node } from './node';

/**
 * A parent → child edge of the lineage graph. Lineage is walked both ways, one level per query:
 * the unique (parent, child) index serves forward steps, the child index backward ones.
 */
export const NodeLink = defineEntity({
  name: 'NodeLink',
  properties: {
    id: p.integer().primary().autoincrement(),
    parentNodeId: () => p.manyToOne(Node).mapToPk().fieldName('parent_node_id'),
    childNodeId: () => p.manyToOne(Node).mapToPk().fieldName('child_node_id'),
    exchangeId: p.text(),
    usecaseContractId: p.text(),
    contractId: p.text(),
    createdAt: p.datetime(),
  },
  uniques: [{ properties: ['parentNodeId', 'childNodeId'] }],
  indexes: [{ properties: ['childNodeId'] }],
});

export type NodeLinkRow = InferEntity<typeof NodeLink>;
