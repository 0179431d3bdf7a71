import { z } from 'zod';

/**
 * A prevRoot update one instance hands to another: "your node `parent` has a new child". The
 * receiver runs the design document's alt block on `parent` and carries the update on up. Pure:
 * the API validates with it, the worker builds it.
 */
const nodeRef = z.object({ nodeId: z.string().min(1).max(256), dataId: z.string().min(1).max(512), ownerId: z.string().min(1).max(128).nullable() }).strict();

export const peerPrevRootUpdateSchema = z
  .object({
    /** Deterministic (exchange, parent, child): the same update sent twice, by any path, is one request. */
    requestId: z.string().regex(/^pr-[0-9a-f]{32}$/),
    exchangeId: z.string().min(1).max(256),
    origin: z.string().min(1).max(128),
    usecaseContractId: z.string().min(1).max(256),
    contractId: z.string().min(1).max(256),
    parent: nodeRef,
    child: nodeRef
      .extend({ kind: z.enum(['raw-data', 'chain-data', 'final-data']), '@nodeUrl': z.url() })
      .strict(),
    /** The parent's parents as the exchange reported them (level 1 only; above, the receiver knows its own). */
    prevDataIds: z.array(z.string().min(1).max(512)).max(100),
    depth: z.number().int().min(0).max(1_000),
  })
  .strict();

export type PeerPrevRootUpdate = z.infer<typeof peerPrevRootUpdateSchema>;

/** The receiver's run for one request. */
export function peerPrevRootWorkflowId(requestId: string): string {
  return `peer-prevroot-${requestId}`;
}
