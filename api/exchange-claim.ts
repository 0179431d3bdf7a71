import type { Store } from '../db/store';
import type { Directory } from '../domain/directory';
import { INCIDENT_ROUND_INITIAL } from '../domain/incidents';
import { claimedNode, type ExchangeClaim } from '../domain/verification';

/**
 * This instance's claim about an exchange it ran: exactly the inputs it hashed when it anchored
 * the exchange (report, node ids, lines, each node's content), plus what a verifier needs to read
 * the chain's allocations (revoked lines, wallets). Null when the exchange did not run here.
 * Only the exchange's own round: an incident's correction is anchored as its own chain subject.
 */
export async function localClaim(deps: { store: Store; directory: Directory }, exchangeId: string): Promise<ExchangeClaim | null> {
  const { store, directory } = deps;
  const exchange = await store.getExchange(exchangeId);
  if (!exchange || exchange.kind !== 'exchange') return null;
  const [allocations, contract] = await Promise.all([store.getAllocations(exchangeId), store.getContract(exchange.usecaseContractId)]);
  // The run anchors [consumed, output] in that order (workflows/exchange.ts).
  const nodeIds = exchange.consumedNodeId && exchange.outputNodeId ? [exchange.consumedNodeId, exchange.outputNodeId] : [];
  const nodes = (await Promise.all(nodeIds.map((id) => store.getNode(id)))).flatMap((n) => (n ? [claimedNode(n)] : []));
  const lines = exchange.distribution?.lines ?? null;
  const participants = await store.getParticipants([...new Set((lines ?? []).flatMap((l) => [l.payerId, l.recipientId]))]);
  return {
    exchangeId,
    instanceId: directory.self,
    usecaseContractId: exchange.usecaseContractId,
    providerId: exchange.providerId,
    consumerId: exchange.consumerId,
    orchestratorId: contract?.orchestratorId ?? null,
    report: exchange.report as unknown as Record<string, unknown> | null,
    nodeIds,
    lines: lines?.map((l) => ({ ...l })) ?? null,
    nodes,
    revoked: allocations.filter((a) => a.round === INCIDENT_ROUND_INITIAL && a.status === 'revoked').map((a) => ({ payerId: a.payerId, recipientId: a.recipientId })),
    wallets: Object.fromEntries(participants.map((p) => [p.id, p.walletAddress])),
  };
}
