import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * A prevRoot update this instance hands to a peer instance (the parent's home): one row per
 * request id, pending until the peer has accepted it durably. It is what the exchange view shows
 * as `propagation`, and its attempts say how long a peer has been unreachable.
 */
export const PeerUpdate = defineEntity({
  name: 'PeerUpdate',
  properties: {
    requestId: p.text().primary(),
    exchangeId: p.text().index(),
    peerInstanceId: p.text(),
    parentNodeId: p.text(),
    childNodeId: p.text(),
    depth: p.integer(),
    status: p.text().$type<'pending' | 'delivered'>(),
    attempts: p.integer(),
    lastError: p.text().nullable(),
    /** The peer's workflow for it, once accepted. */
    peerWorkflowId: p.text().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});

export type PeerUpdateRow = InferEntity<typeof PeerUpdate>;
