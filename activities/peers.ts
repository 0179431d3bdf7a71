import { homeInstanceOf, nodeUrlAt } from '../domain/directory';
import { DvctError } from '../domain/errors';
import type { PeerPrevRootUpdate } from '../domain/peer-update';
import { nodeIdFor, peerRequestIdFor } from '../lib/ids';
import type { ActivityDeps } from './deps';

/**
 * prevRoot updates across instances. The sender hands an update to the parent's home instance
 * (signed, retried by Temporal until the peer accepts it durably); the receiver's run begins with
 * the design document's alt block on its node and then climbs like any prevRoot run.
 */
export interface SendPrevRootArgs {
  exchangeId: string;
  parentNodeId: string;
  childNodeId: string;
  /** The parent's parents as reported (when the parent is the exchange's consumed data). */
  prevDataIds: string[];
  depth: number;
  /** The link's contracts, when the exchange is not this instance's (a peer's run). */
  link?: { usecaseContractId: string; contractId: string };
}

export type SendPrevRootResult = { sent: false } | { sent: true; peerInstanceId: string; requestId: string; peerWorkflowId: string };

export function peerActivities({ store, federation }: ActivityDeps) {
  const { directory, peers } = federation;

  async function linkContracts(exchangeId: string, given: SendPrevRootArgs['link']) {
    if (given) return given;
    const report = (await store.getExchange(exchangeId))?.report;
    if (!report) throw new DvctError('NOT_FOUND', `Exchange ${exchangeId} has no report`);
    return { usecaseContractId: report.usecaseContractId, contractId: report.contractId };
  }

  return {
    /**
     * Hands "your node has a new child" to the parent's home instance; nothing to do when the
     * parent is homed here. Completes once the peer has accepted the request (its run started);
     * every failed attempt is recorded, so the exchange view shows the update pending and why.
     */
    async sendPrevRootUpdate(args: SendPrevRootArgs): Promise<SendPrevRootResult> {
      const [parent, child] = await Promise.all([store.getNode(args.parentNodeId), store.getNode(args.childNodeId)]);
      if (!parent || !child) throw new DvctError('NOT_FOUND', `Nodes ${args.parentNodeId} and ${args.childNodeId} must exist before their home is told`);
      if (parent.homeInstanceId === null || parent.homeInstanceId === directory.self) return { sent: false };
      const peerInstanceId = parent.homeInstanceId;
      const requestId = peerRequestIdFor(args.exchangeId, parent.nodeId, child.nodeId);
      const childHome = directory.instance(child.homeInstanceId ?? directory.self);
      const body: PeerPrevRootUpdate = {
        requestId,
        exchangeId: args.exchangeId,
        origin: directory.self,
        ...(await linkContracts(args.exchangeId, args.link)),
        parent: { nodeId: parent.nodeId, dataId: parent.dataId, ownerId: parent.ownerId },
        child: { nodeId: child.nodeId, dataId: child.dataId, ownerId: child.ownerId, kind: child.kind, '@nodeUrl': nodeUrlAt(childHome?.url ?? '', child.nodeId) },
        prevDataIds: args.prevDataIds,
        depth: args.depth,
      };
      const record = { requestId, exchangeId: args.exchangeId, peerInstanceId, parentNodeId: parent.nodeId, childNodeId: child.nodeId, depth: args.depth };
      let answer: { status: number; body: any };
      try {
        answer = await peers.request(peerInstanceId, 'POST', '/v1/peer/prevroot-updates', body);
      } catch (err) {
        await store.recordPeerAttempt(record, { delivered: false, error: err instanceof Error ? err.message : String(err) });
        throw err;
      }
      if (answer.status === 202) {
        await store.recordPeerAttempt(record, { delivered: true, peerWorkflowId: String(answer.body?.workflowId) });
        return { sent: true, peerInstanceId, requestId, peerWorkflowId: String(answer.body?.workflowId) };
      }
      const why = `${peerInstanceId} answered ${answer.status}: ${answer.body?.code ?? ''} ${answer.body?.detail ?? ''}`.trim();
      await store.recordPeerAttempt(record, { delivered: false, error: why });
      // A request the peer finds malformed will not get better by sending it again; a refused
      // signature (directories out of step, clocks apart) or a peer in trouble can, once fixed.
      if (answer.status >= 400 && answer.status < 500 && ![401, 408, 429].includes(answer.status)) throw new DvctError('PEER_REFUSED', why);
      throw new DvctError('DEPENDENCY_UNAVAILABLE', why);
    },

    /**
     * The receiving side's alt block on its node: created when it does not exist, linked to the new
     * child (a reference copy of it, homed where its owner is served) when it does, and recorded as
     * reached by the exchange either way. Answers the node's own parents, known here, to go on with.
     */
    async acceptPeerUpdate(u: PeerPrevRootUpdate): Promise<{ parentNodeId: string; action: 'created' | 'linked' | 'propagated'; parentIds: string[] }> {
      if (nodeIdFor(u.parent.dataId) !== u.parent.nodeId || nodeIdFor(u.child.dataId) !== u.child.nodeId) {
        throw new DvctError('VALIDATION_FAILED', 'A node id does not belong to its dataId');
      }
      const meta = { dvctId: null, usecaseContractId: u.usecaseContractId, dataProviderId: null, dataConsumerId: null, createdByExchangeId: u.exchangeId };
      const { created } = await store.upsertNode({
        nodeId: u.parent.nodeId,
        dataId: u.parent.dataId,
        kind: u.prevDataIds.length > 0 ? 'chain-data' : 'raw-data',
        ownerId: u.parent.ownerId,
        placeholder: u.parent.ownerId === null,
        homeInstanceId: homeInstanceOf(directory, u.parent.ownerId),
        ...meta,
      });
      await store.upsertNode({
        nodeId: u.child.nodeId,
        dataId: u.child.dataId,
        kind: u.child.kind,
        ownerId: u.child.ownerId,
        placeholder: u.child.ownerId === null,
        homeInstanceId: homeInstanceOf(directory, u.child.ownerId, u.origin),
        ...meta,
      });
      const link = await store.linkNodes({ parentNodeId: u.parent.nodeId, childNodeId: u.child.nodeId, exchangeId: u.exchangeId, usecaseContractId: u.usecaseContractId, contractId: u.contractId });
      await store.recordPropagation({ ancestorNodeId: u.parent.nodeId, exchangeId: u.exchangeId, viaNodeId: u.child.nodeId, depth: u.depth });
      return { parentNodeId: u.parent.nodeId, action: created ? 'created' : link.created ? 'linked' : 'propagated', parentIds: await store.getParentIds(u.parent.nodeId) };
    },
  };
}
