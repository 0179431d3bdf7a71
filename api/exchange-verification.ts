import type { Context } from 'hono';
import { chainKey } from '../chain/ids';
import { DvctError } from '../domain/errors';
import { chainSubjectOf } from '../domain/workflow-ids';
import { exchangeClaimSchema, verifyExchange, type ExchangeClaim, type VerificationItem } from '../domain/verification';
import { authorize, exchangeObject, notFound } from './authorize';
import type { AppEnv, FederatedApiDeps } from './context';
import { localClaim } from './exchange-claim';
import { CANNOT_SIGN } from './lineage-walk';

export interface VerificationReport {
  exchangeId: string;
  verified: boolean;
  checkedAt: string;
  items: VerificationItem[];
}

type Asked = { instanceId: string } & ({ kind: 'claim'; claim: ExchangeClaim } | { kind: 'absent' } | { kind: 'unreachable'; detail: string });

/** Asks one peer for its claim; every failure is an answer, never a throw. */
async function askPeer(deps: FederatedApiDeps, instanceId: string, exchangeId: string): Promise<Asked> {
  if (!deps.peers) return { instanceId, kind: 'unreachable', detail: CANNOT_SIGN };
  try {
    const res = await deps.peers.request(instanceId, 'GET', `/v1/peer/exchanges/${encodeURIComponent(exchangeId)}/record`);
    if (res.status === 404) return { instanceId, kind: 'absent' };
    if (res.status !== 200) return { instanceId, kind: 'unreachable', detail: `answered ${res.status}${res.body?.code ? ` ${res.body.code}` : ''}` };
    const parsed = exchangeClaimSchema.safeParse(res.body);
    if (!parsed.success || parsed.data.instanceId !== instanceId || parsed.data.exchangeId !== exchangeId) {
      return { instanceId, kind: 'unreachable', detail: 'answered something that is not its claim about this exchange' };
    }
    return { instanceId, kind: 'claim', claim: parsed.data };
  } catch (err) {
    if (err instanceof DvctError) return { instanceId, kind: 'unreachable', detail: err.message };
    throw err;
  }
}

/**
 * The claim of the instance that ran the exchange: this one's own, else the one peer that has it
 * (exchange ids are business keys, so the verifier need not know where it ran: every member of
 * the directory is asked). Null claim with the peers that could not be asked when none has it.
 */
async function findClaim(deps: FederatedApiDeps, exchangeId: string): Promise<{ claim: ExchangeClaim | null; unreachable: Asked[] }> {
  const own = await localClaim(deps, exchangeId);
  if (own) return { claim: own, unreachable: [] };
  const answers = await Promise.all(deps.directory.entries.filter((e) => e.instanceId !== deps.directory.self).map((e) => askPeer(deps, e.instanceId, exchangeId)));
  const found = answers.find((a): a is Asked & { kind: 'claim' } => a.kind === 'claim');
  return { claim: found?.claim ?? null, unreachable: answers.filter((a) => a.kind === 'unreachable') };
}

/**
 * GET /v1/exchanges/{id}/verification: from the chain (read here) and the running instance's
 * claim, item by item, whether what each instance holds is what was anchored — the exchange's own
 * round, each correction round, and this instance's own copies of the anchored nodes.
 */
export async function verifyExchangeHere(c: Context<AppEnv>, exchangeId: string, deps: FederatedApiDeps): Promise<VerificationReport> {
  const { claim, unreachable } = await findClaim(deps, exchangeId);
  const checkedAt = new Date().toISOString();
  if (!claim) {
    if (unreachable.length === 0) throw notFound({ label: `exchange ${exchangeId}` });
    // Where it ran cannot be told while a member is down: say which members could not be asked.
    const items = unreachable.map((u): VerificationItem => ({ item: 'record', id: exchangeId, subject: exchangeId, instanceId: u.instanceId, match: false, reason: `unreachable: ${u.kind === 'unreachable' ? u.detail : ''}` }));
    return { exchangeId, verified: false, checkedAt, items };
  }
  const everyLine = [...(claim.lines ?? []), ...claim.rounds.flatMap((r) => r.lines)];
  authorize(
    c,
    'exchanges:read',
    exchangeObject({ id: exchangeId, usecaseContractId: claim.usecaseContractId, providerId: claim.providerId, consumerId: claim.consumerId }, everyLine, claim.orchestratorId),
  );
  const [events, roundEvents, participants, copies] = await Promise.all([
    deps.chain.exchangeEvents(exchangeId),
    Promise.all(claim.rounds.map(async (r) => [r.incidentId, await deps.chain.exchangeEvents(chainSubjectOf(exchangeId, r.incidentId))] as const)),
    deps.store.getParticipants(Object.keys(claim.wallets)),
    // What this instance holds itself of the anchored nodes, when the exchange ran elsewhere.
    claim.instanceId === deps.directory.self ? Promise.resolve([]) : Promise.all(claim.nodeIds.map((id) => deps.store.getNode(id))),
  ]);
  const wallets = new Map(participants.map((p) => [p.id, p.walletAddress]));
  const items = verifyExchange({
    claim,
    events,
    roundEvents: new Map(roundEvents),
    keyOf: chainKey,
    walletOf: (id) => wallets.get(id),
    own: { instanceId: deps.directory.self, nodes: copies.flatMap((n) => (n ? [n] : [])) },
  });
  return { exchangeId, verified: items.every((i) => i.match), checkedAt, items };
}
