import { readDeployment } from '../chain/deployment';
import { loadConfig } from '../config/config';
import { callApi, depositFromWallet, registerMember, type Member } from './client/dvct-client';

/**
 * `npm run demo` — drives a running DVCT (`npm start`) through the design document's sequence
 * the way real members would: an orchestrator, a data provider P1, a consumer/AI provider C1 and a
 * consumer C2 register, fund their deposits from their own wallets, agree a use-case contract,
 * and report three exchanges. Prints each run's stages as they pass and a Temporal Web UI link.
 * Needs the operator key (DVCT_OPERATOR_KEY) and the embedded anvil (it funds gas with
 * anvil_setBalance).
 */
const config = loadConfig();
const api = `http://127.0.0.1:${config.api.port}`;
const operatorKey = process.env.DVCT_OPERATOR_KEY;
const run = Date.now().toString(36);
const say = (m: string) => console.log(m);

const dvct = { apiUrl: api, rpcUrl: config.chain.rpcUrl, operatorKey: operatorKey ?? '' };
const call = (method: string, path: string, key: string, body?: unknown) => callApi(api, method, path, key, body);

async function register(name: string, roles: string[], initialPoints: number): Promise<Member> {
  const member = await registerMember(dvct, { id: `${name}-${run}`, name: `Demo ${name.toUpperCase()}`, roles, initialPoints });
  say(`  registered ${member.id} (${roles.join(', ')}), wallet ${member.wallet}${initialPoints ? `, ${initialPoints} initial points` : ''}`);
  return member;
}

async function fundDeposit(member: Member, points: number): Promise<void> {
  await depositFromWallet(config.chain.rpcUrl, readDeployment(config.chain), member, points);
  say(`  ${member.id} deposited ${points} points into the ledger from its own wallet`);
}

async function follow(label: string, exchangeId: string, key: string): Promise<any> {
  let seen = '';
  for (;;) {
    const x = await call('GET', `/v1/exchanges/${exchangeId}`, key);
    if (x.stage !== seen) {
      say(`    ${label}: ${x.stage}`);
      seen = x.stage;
    }
    if (x.status !== 'running') return x;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function report(label: string, consumer: Member, body: Record<string, unknown>): Promise<any> {
  const res = await call('POST', '/v1/exchanges', consumer.apiKey, body);
  say(`\n  ${label}\n    run: ${res.temporalUiUrl}`);
  const done = await follow(label, res.exchangeId, consumer.apiKey);
  for (const l of done.distribution?.lines ?? []) say(`    ${l.payerId} → ${l.recipientId}: ${l.amount} points`);
  if (done.error) say(`    error: ${done.error.code} — ${done.error.message}`);
  return done;
}

async function main(): Promise<void> {
  if (!operatorKey) {
    throw new Error('Set DVCT_OPERATOR_KEY to the operator key `npm start` printed at its first start (or the one you configured).');
  }
  const health: any = await fetch(`${api}/health`).then((r) => r.json()).catch(() => null);
  if (health?.status !== 'ok') throw new Error(`DVCT is not up at ${api} — run \`npm start\` first (health: ${JSON.stringify(health)})`);

  say('Registering the members of the design document\'s sequence');
  const o = await register('orchestrator', ['orchestrator'], 100);
  const p1 = await register('p1', ['data-provider'], 0);
  const c1 = await register('c1', ['data-consumer', 'ai-provider', 'data-provider'], 100);
  const c2 = await register('c2', ['data-consumer'], 100);
  await Promise.all([fundDeposit(o, 50), fundDeposit(c1, 50), fundDeposit(c2, 50)]);

  const contractId = `uc-skills-${run}`;
  await call('POST', '/v1/contracts', o.apiKey, {
    id: contractId,
    title: 'Skills analytics (demo)',
    orchestratorId: o.id,
    parties: [
      { participantId: o.id, roles: ['orchestrator'] },
      { participantId: p1.id, roles: ['data-provider'] },
      { participantId: c1.id, roles: ['data-consumer', 'ai-provider', 'data-provider'] },
      { participantId: c2.id, roles: ['data-consumer'] },
    ],
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: null,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
    upstream: { share: 0.2, depth: 2 },
    rewardPool: null,
    verificationWindowSeconds: 10,
  });
  say(`\nContract ${contractId}: 5 points per use to the provider, 10 extra to an AI provider, 20 % of each award flows upstream, 10 s verification window`);

  const common = { dvctId: `connector-${run}`, usecaseContractId: contractId, contractId: `dc-${run}`, incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false } };
  await report('1. C1 (AI provider) uses P1\'s raw data → chain data', c1, {
    ...common, dataId: `p1-raw-${run}`, dataProviderId: p1.id, dataConsumerId: c1.id, dataConsumerIsAIProvider: true,
    extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false }, outputDataId: `c1-chain-${run}`,
  });
  await report('2. C2 uses P1\'s raw data → final data', c2, {
    ...common, dataId: `p1-raw-${run}`, dataProviderId: p1.id, dataConsumerId: c2.id, outputDataId: `c2-final-${run}`, outputDataType: 'final-data',
  });
  const last = await report('3. C2 uses C1\'s chain data (made from P1\'s raw data) → the same final data', c2, {
    ...common, dataId: `c1-chain-${run}`, dataProviderId: c1.id, dataConsumerId: c2.id, prevDataId: `p1-raw-${run}`, outputDataId: `c2-final-${run}`, outputDataType: 'final-data',
  });

  const lineage = await call('GET', `/v1/nodes/${last.nodes.output.nodeId}/lineage?direction=backward`, c2.apiKey);
  const dataOf = new Map<string, string>(lineage.nodes.map((n: any) => [n.nodeId, n.dataId]));
  say(`\nLineage of c2-final-${run} (backward): ${lineage.edges.map((e: any) => `${dataOf.get(e.from)} → ${dataOf.get(e.to)}`).join(', ')}`);
  say('\nBalances (points in wallets after release)');
  for (const m of [o, p1, c1, c2]) {
    const b = await call('GET', `/v1/participants/${m.id}/balance`, m.apiKey);
    say(`  ${m.id.padEnd(24)} wallet ${b.wallet.padStart(6)}   held ${b.allocated}   released ${b.released}`);
  }
  say(`\nEvery run is in the Temporal Web UI: ${config.temporal.uiUrl} (filter: DvctContractId = "${contractId}")`);
  say('\nIn the browser (each page asks for an API key; the operator key sees everything):');
  say(`  value chain of C2's final data  ${api}/ui/lineage?node=${last.nodes.output.nodeId}&direction=both&depth=3`);
  say(`  P1's report                     ${api}/ui/report?participant=${p1.id}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
