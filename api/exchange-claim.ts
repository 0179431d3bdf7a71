import type { AllocationRecord } from '../db/records';
import type { Store } from '../db/store';
import type { Directory } from '../domain/directory';
import { INCIDENT_ROUND_INITIAL } from '../domain/incidents';
import { claimedNode, type ExchangeClaim } from '../domain/verification';

/**
 * This instance's claim about an exchange it ran: exactly the inputs it hashed when it anchored
 * the exchange (report, node ids, lines, each node's content) and each correction round an
 * incident allocated (the incident's decision and the round's lines: anchored as their own chain
 * subject), plus what a verifier needs to read the chain's allocations (revoked lines, wallets).
 * Null when the exchange did not run here.
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
  const pairOf = (a: AllocationRecord) => ({ payerId: a.payerId, recipientId: a.recipientId });
  // A correction round's lines are the allocations recorded under its incident, in the order hashed (by payer, then recipient).
  const roundIds = [...new Set(allocations.map((a) => a.round).filter((r) => r !== INCIDENT_ROUND_INITIAL))];
  const rounds = await Promise.all(
    roundIds.map(async (incidentId) => {
      const own = allocations.filter((a) => a.round === incidentId);
      const incident = await store.getIncident(incidentId);
      return {
        incidentId,
        decision: (incident?.decision ?? null) as unknown as Record<string, unknown> | null,
        lines: own.map((a) => ({ ...pairOf(a), amount: a.amount })),
        revoked: own.filter((a) => a.status === 'revoked').map(pairOf),
      };
    }),
  );
  const payersAndRecipients = [...(lines ?? []), ...allocations];
  const participants = await store.getParticipants([...new Set(payersAndRecipients.flatMap((l) => [l.payerId, l.recipientId]))]);
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
    revoked: allocations.filter((a) => a.round === INCIDENT_ROUND_INITIAL && a.status === 'revoked').map(pairOf),
    rounds,
    wallets: Object.fromEntries(participants.map((p) => [p.id, p.walletAddress])),
  };
}
