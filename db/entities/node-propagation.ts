import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Node } from './node';

/** The prevRoot loop's proof that an ancestor learnt of an exchange's new descendant (once per pair). */
export const NodePropagation = defineEntity({
  name: 'NodePropagation',
  properties: {
    id: p.integer().primary().autoincrement(),
    ancestorNodeId: () => p.manyToOne(Node).mapToPk().fieldName('ancestor_node_id'),
    exchangeId: p.text(),
    /** The child through which the update reached the ancestor. */
    viaNodeId: () => p.manyToOne(Node).mapToPk().fieldName('via_node_id'),
    depth: p.integer(),
    createdAt: p.datetime(),
  },
  uniques: [{ properties: ['ancestorNodeId', 'exchangeId'] }],
});

export type NodePropagationRow = InferEntity<typeof NodePropagation>;
