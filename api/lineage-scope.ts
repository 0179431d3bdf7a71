import type { Lineage, LinkRecord, NodeRecord, Store } from '../db/store';
import type { NodeViewFilter } from '../db/store/nodes';
import { authorityRolesOf, type AuthorityRole, type AuthzObject } from '../domain/authority';
import { nodesJoinedTo } from '../domain/joined-nodes';
import type { Actor } from './auth';
import { decision } from './authorize';

/**
 * What an organisation may see of the lineage graph. Visibility never follows graph connectivity:
 * anyone can name any dataId as a parent in a report, so "connected to something I can see" would
 * let a connector link its own nodes under another organisation's graph and read it. Instead a
 * link is visible when its exchange is:
 *
 * - one the organisation is a party to (provider, consumer, payer or recipient in any round,
 *   the contract's orchestrator) — the same parties as GET /v1/exchanges/{id}; or
 * - one whose prevRoot update reached a node the organisation owns: the design's loop tells every
 *   ancestor of its new descendants, so a provider follows where its data went. Only the
 *   exchange's own report can make that happen, so it widens the view of the ancestor's owner,
 *   never of the reporter.
 *
 * A node is visible when the organisation owns it or a visible link touches it. Its metadata (the
 * exchange that created it: contract, provider, consumer) shows only to its owner or a party of
 * that exchange; its links and awards only where their exchanges are visible. A walk goes along
 * visible links only. Reading needs `lineage:read` in effect for the link's exchange and contract.
 *
 * The same rules decide what a peer instance is told when it asks on an organisation's behalf
 * (GET /v1/peer/nodes/{id}/lineage), judged on what this instance holds: the exchanges that ran
 * here, the updates that reached its nodes or that it handed to the home of the organisation's
 * nodes, and the links it holds under contracts the organisation orchestrates.
 */
export interface LineageScope {
  /** The decision for the node as a whole: its object for authorize(). */
  nodeObject(node: NodeRecord, touching: readonly LinkRecord[]): AuthzObject;
  /** What of the node the reader may see, for Store.getNodeView; undefined: everything (operator). */
  viewFilter(node: NodeRecord): NodeViewFilter | undefined;
  /** The walk restricted to visible links and the nodes they reach from `startId`. */
  restrict(walk: Lineage, startId: string): Lineage;
  /**
   * Whether the reader's grants cover a link a peer showed it: the peer judged what the
   * organisation may see there; a key's grants (a restricted key's contracts, exchanges, periods)
   * only this instance knows.
   */
  grantsCover(link: { exchangeId: string; usecaseContractId: string }): boolean;
}

/** The exchanges whose links an organisation may see, by the rules above, whatever its keys' grants. */
export interface LinkVisibility {
  /** The exchanges it is a party to. */
  partyOf: ReadonlySet<string>;
  /** Those, and the exchanges whose prevRoot update reached a node it owns. */
  visibleExchanges: ReadonlySet<string>;
  /** The contract of each linked exchange under a contract it orchestrates, also of those that ran on another instance. */
  orchestrated: ReadonlyMap<string, string>;
}

/** The one place the rules above are read from the database: lineage walks and provider reports both use it. */
export async function linkVisibilityOf(store: Store, participantId: string): Promise<LinkVisibility> {
  const [party, reached, orchestrated] = await Promise.all([
    store.exchangeIdsOfParty(participantId),
    store.exchangesReachingNodesOf(participantId),
    store.linkedExchangesOrchestratedBy(participantId),
  ]);
  // The contract's orchestrator is a party to each of its exchanges, wherever they ran.
  const partyOf = new Set([...party, ...orchestrated.keys()]);
  return { partyOf, visibleExchanges: new Set([...partyOf, ...reached]), orchestrated };
}

/** The roles that carry lineage:read: the ones a party reads lineage in. */
const LINEAGE_ROLES: readonly AuthorityRole[] = ['connector', 'orchestrator'];

export async function lineageScopeOf(principal: Actor, store: Store): Promise<LineageScope> {
  if (principal.kind === 'operator') {
    return {
      nodeObject: (node) => ({ label: `node ${node.nodeId}`, scopes: [], parties: {} }),
      viewFilter: () => undefined,
      restrict: (walk) => walk,
      grantsCover: () => true,
    };
  }
  const me = principal.participant.id;
  const { partyOf, visibleExchanges, orchestrated } = await linkVisibilityOf(store, me);
  const recorded = await store.usecaseContractsOf([...visibleExchanges]);
  // An exchange that ran elsewhere has no record here: its links name its contract.
  const contractOf = new Map([...orchestrated, ...recorded]);
  const roles = authorityRolesOf(principal.participant.roles).filter((r) => LINEAGE_ROLES.includes(r));
  const now = new Date();

  const granted = (exchangeId: string, usecaseContractId: string): boolean => {
    const scopes = [`exchange:${exchangeId}`, `contract:${usecaseContractId}`];
    return decision(principal, 'lineage:read', { label: `exchange ${exchangeId}`, scopes, parties: { [me]: roles } }, now).outcome === 'allow';
  };
  // One decision per exchange: its id and contract are what a grant's scope can name.
  const readable = new Map<string, boolean>();
  const readableExchange = (exchangeId: string): boolean => {
    let ok = readable.get(exchangeId);
    if (ok === undefined) {
      ok = visibleExchanges.has(exchangeId) && granted(exchangeId, contractOf.get(exchangeId) ?? '');
      readable.set(exchangeId, ok);
    }
    return ok;
  };

  return {
    nodeObject(node, touching) {
      const links = touching.filter((l) => visibleExchanges.has(l.exchangeId));
      const visible = node.ownerId === me || links.length > 0;
      const scopes = [...new Set(links.flatMap((l) => [`exchange:${l.exchangeId}`, `contract:${l.usecaseContractId}`]))];
      if (node.ownerId === me && node.usecaseContractId) scopes.push(`contract:${node.usecaseContractId}`);
      return { label: `node ${node.nodeId}`, scopes, parties: visible ? { [me]: roles } : {} };
    },
    viewFilter(node) {
      return {
        exchange: readableExchange,
        metadata: node.ownerId === me || partyOf.has(node.createdByExchangeId),
      };
    },
    restrict(walk, startId) {
      const edges = walk.edges.filter((e) => readableExchange(e.exchangeId));
      // Along visible links only, in both directions the walk went (edges only ever join walked nodes).
      const reachable = nodesJoinedTo(startId, edges.map((e) => [e.parentNodeId, e.childNodeId] as const));
      return { nodes: walk.nodes.filter((n) => reachable.has(n.nodeId)), edges: edges.filter((e) => reachable.has(e.parentNodeId)), truncated: walk.truncated };
    },
    grantsCover: (link) => granted(link.exchangeId, link.usecaseContractId),
  };
}
