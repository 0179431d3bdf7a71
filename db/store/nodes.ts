import { unitsToNumber } from '../../domain/amounts';
import { DvctError } from '../../domain/errors';
import type { NodeView } from '../../domain/types';
import { Award, type AwardRow } from '../entities/award';
import { Node, type NodeRow } from '../entities/node';
import { NodeLink, type NodeLinkRow } from '../entities/node-link';
import { NodePropagation } from '../entities/node-propagation';
import type { Orm } from '../orm';
import type { LinkRecord, NewLink, NewNode, NewPropagation, NodeRecord } from '../records';
import { insertOnce, session, subSession } from './support';

export interface NodeStore {
  /**
   * Creates the node once. When it exists as a placeholder and `n` describes it, the description
   * fills it in (owner, kind, metadata; placeholder = false); anything else leaves it unchanged.
   * The same nodeId with another dataId, or the dataId under another nodeId → DvctError CONFLICT.
   */
  upsertNode(n: NewNode): Promise<{ node: NodeRecord; created: boolean }>;
  getNode(nodeId: string): Promise<NodeRecord | null>;
  /** Every node the participant owns, oldest first. */
  nodesOwnedBy(participantId: string): Promise<NodeRecord[]>;
  /** Links parent → child once; both nodes must exist (else DvctError NOT_FOUND). */
  linkNodes(l: NewLink): Promise<{ created: boolean }>;
  /** In the order the links were made. */
  getParentIds(nodeId: string): Promise<string[]>;
  getChildIds(nodeId: string): Promise<string[]>;
  /** Every link from or to the node, in the order they were made. */
  linksOf(nodeId: string): Promise<LinkRecord[]>;
  /** Records once per (ancestor, exchange) that the ancestor learnt of the exchange's new descendant. */
  recordPropagation(p: NewPropagation): Promise<{ created: boolean }>;
  /**
   * The node in the design document's "Output data" shape; '' stands for metadata nobody gave yet
   * (or, with `only`, metadata the reader may not see). `only` limits links and awards to the
   * exchanges a reader may see.
   */
  getNodeView(nodeId: string, nodeUrl: (nodeId: string, homeInstanceId: string | null) => string, only?: NodeViewFilter): Promise<NodeView | null>;
  /**
   * The exchanges whose prevRoot update reached a node the participant owns: its data's
   * descendants. Reached here (the node's home recorded it), or handed by this instance to the
   * peer that is the node's home and accepted there — what this instance knows of it either way.
   */
  exchangesReachingNodesOf(ownerId: string): Promise<string[]>;
  /**
   * The exchanges of the links this instance holds under use-case contracts the participant
   * orchestrates, with each link's contract: a peer holds links of exchanges that ran elsewhere.
   */
  linkedExchangesOrchestratedBy(orchestratorId: string): Promise<Map<string, string>>;
}

/** What one reader may see of a node. */
export interface NodeViewFilter {
  exchange: (exchangeId: string) => boolean;
  metadata: boolean;
}

export function nodeStore(orm: Orm): NodeStore {
  async function findNode(nodeId: string): Promise<NodeRecord | null> {
    const row = await session(orm).findOne(Node, { nodeId });
    return row ? toNodeRecord(row) : null;
  }

  async function linkedIds(where: { parentNodeId: string } | { childNodeId: string }, pick: 'parentNodeId' | 'childNodeId') {
    const rows = await session(orm).find(NodeLink, where, { fields: [pick], orderBy: { id: 'asc' } });
    return rows.map((r) => r[pick]);
  }

  return {
    async upsertNode(n) {
      const em = session(orm);
      const now = new Date();
      const record: NodeRecord = { ...n, homeInstanceId: n.homeInstanceId ?? null, createdAt: now, updatedAt: now };
      if (await insertOnce(em, Node, record)) return { node: record, created: true };

      const existing = await em.findOne(Node, { nodeId: n.nodeId });
      if (!existing || existing.dataId !== n.dataId) {
        throw new DvctError('CONFLICT', `Node ${n.nodeId} and data ${n.dataId} do not belong together`, { nodeId: n.nodeId, dataId: n.dataId });
      }
      if (existing.placeholder && !n.placeholder) {
        // Conditional on still being a placeholder: of two describers racing, the first one wins.
        await em.nativeUpdate(
          Node,
          { nodeId: n.nodeId, placeholder: true },
          {
            kind: n.kind,
            ownerId: n.ownerId,
            placeholder: false,
            dvctId: n.dvctId,
            usecaseContractId: n.usecaseContractId,
            dataProviderId: n.dataProviderId,
            dataConsumerId: n.dataConsumerId,
            // Its owner is known now, and with it the instance the node is homed on.
            homeInstanceId: n.homeInstanceId ?? null,
            updatedAt: now,
          },
        );
        const filled = await findNode(n.nodeId);
        return { node: filled!, created: false };
      }
      return { node: toNodeRecord(existing), created: false };
    },

    getNode: findNode,

    async nodesOwnedBy(participantId) {
      const rows = await session(orm).find(Node, { ownerId: participantId }, { orderBy: { createdAt: 'asc', nodeId: 'asc' } });
      return rows.map(toNodeRecord);
    },

    async linkNodes(l) {
      return { created: await insertOnce(session(orm), NodeLink, { ...l, createdAt: new Date() }) };
    },

    getParentIds: (nodeId) => linkedIds({ childNodeId: nodeId }, 'parentNodeId'),
    getChildIds: (nodeId) => linkedIds({ parentNodeId: nodeId }, 'childNodeId'),

    async linksOf(nodeId) {
      const rows = await session(orm).find(NodeLink, { $or: [{ parentNodeId: nodeId }, { childNodeId: nodeId }] }, { orderBy: { id: 'asc' } });
      return rows.map(toLinkRecord);
    },

    async recordPropagation(p) {
      return { created: await insertOnce(session(orm), NodePropagation, { ...p, createdAt: new Date() }) };
    },

    async getNodeView(nodeId, nodeUrl, only) {
      const em = session(orm);
      const node = await em.findOne(Node, { nodeId });
      if (!node) return null;
      const [allParents, allChildren, allAwards] = await Promise.all([
        subSession(em).find(NodeLink, { childNodeId: nodeId }, { orderBy: { id: 'asc' } }),
        subSession(em).find(NodeLink, { parentNodeId: nodeId }, { orderBy: { id: 'asc' } }),
        subSession(em).find(Award, { nodeId }, { orderBy: { id: 'asc' } }),
      ]);
      const seen = (row: { exchangeId: string }) => !only || only.exchange(row.exchangeId);
      const [parents, children, awards] = [allParents.filter(seen), allChildren.filter(seen), allAwards.filter(seen)];
      const metadata = !only || only.metadata;
      const linked = [...parents.map((l) => l.parentNodeId), ...children.map((l) => l.childNodeId)];
      const homes = new Map(
        linked.length === 0 ? [] : (await subSession(em).find(Node, { nodeId: { $in: linked } }, { fields: ['nodeId', 'homeInstanceId'] })).map((n) => [n.nodeId, n.homeInstanceId ?? null]),
      );
      const ref = (id: string) => ({ nodeId: id, '@nodeUrl': nodeUrl(id, homes.get(id) ?? null) });
      return {
        nodeId: node.nodeId,
        dataId: node.dataId,
        nodeMetadata: {
          dvctId: (metadata && node.dvctId) || '',
          usecaseContractId: (metadata && node.usecaseContractId) || '',
          dataProviderId: (metadata && node.dataProviderId) || '',
          dataConsumerId: (metadata && node.dataConsumerId) || '',
          incentiveReceivedFrom: incentivesByPayer(awards),
        },
        prevNode: parents.map((l) => ref(l.parentNodeId)),
        childNode: children.map((l) => ref(l.childNodeId)),
      };
    },

    async exchangesReachingNodesOf(ownerId) {
      const em = session(orm);
      const rows = await em
        .getConnection()
        .execute<{ exchange_id: string }[]>(
          'select p.exchange_id from node_propagation p join node n on n.node_id = p.ancestor_node_id where n.owner_id = ? ' +
            "union select u.exchange_id from peer_update u join node n on n.node_id = u.parent_node_id where n.owner_id = ? and u.status = 'delivered'",
          [ownerId, ownerId],
          'all',
          em.getTransactionContext(),
        );
      return [...new Set(rows.map((r) => r.exchange_id))].sort();
    },

    async linkedExchangesOrchestratedBy(orchestratorId) {
      const em = session(orm);
      const rows = await em
        .getConnection()
        .execute<{ exchange_id: string; usecase_contract_id: string }[]>(
          'select distinct l.exchange_id, l.usecase_contract_id from node_link l join use_case_contract c on c.id = l.usecase_contract_id where c.orchestrator_id = ?',
          [orchestratorId],
          'all',
          em.getTransactionContext(),
        );
      return new Map(rows.map((r) => [r.exchange_id, r.usecase_contract_id]));
    },
  };
}

/**
 * The seed's incentiveReceivedFrom: what this node earned, summed per paying organisation and
 * contract (one organisation can pay under several contracts), in points.
 */
function incentivesByPayer(awards: AwardRow[]): NodeView['nodeMetadata']['incentiveReceivedFrom'] {
  const totals = new Map<string, { organizationId: string; contractId: string; units: bigint }>();
  for (const a of awards) {
    const contractId = a.contractId ?? '';
    const key = JSON.stringify([a.payerId, contractId]);
    const entry = totals.get(key) ?? { organizationId: a.payerId, contractId, units: 0n };
    entry.units += BigInt(a.amount);
    totals.set(key, entry);
  }
  return [...totals.values()].map((t) => ({ organizationId: t.organizationId, numPoints: unitsToNumber(t.units), contractId: t.contractId }));
}

export function toNodeRecord(row: NodeRow): NodeRecord {
  return {
    nodeId: row.nodeId,
    dataId: row.dataId,
    kind: row.kind,
    ownerId: row.ownerId ?? null,
    placeholder: row.placeholder,
    dvctId: row.dvctId ?? null,
    usecaseContractId: row.usecaseContractId ?? null,
    dataProviderId: row.dataProviderId ?? null,
    dataConsumerId: row.dataConsumerId ?? null,
    createdByExchangeId: row.createdByExchangeId,
    homeInstanceId: row.homeInstanceId ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toLinkRecord(row: NodeLinkRow): LinkRecord {
  return {
    parentNodeId: row.parentNodeId,
    childNodeId: row.childNodeId,
    exchangeId: row.exchangeId,
    usecaseContractId: row.usecaseContractId,
    contractId: row.contractId,
    createdAt: row.createdAt,
  };
}
