import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type Member } from '../api/harness';
import { exchange } from '../db/fixtures';
import { ARTIFACTS_DIR, openPagesInBrowser, type PagesInBrowser } from '../support/browser';

/**
 * The linking attack against the provider report. Anyone may name any data as the parent of the
 * data it consumes, so org-x, a consumer with its own data x-own, reports consuming org-v1's
 * v-raw with x-own as its parent — and so x-own is "upstream" of everything made from v-raw:
 *
 *   x-own ──ex-a──▶ v-raw ──ex-v──▶ v-out ──ex-w──▶ v-final        v-raw ──ex-a──▶ x-out ──ex-b──▶ b-out
 *  (org-x)         (org-v1)        (org-v2)         (org-v3)                         (org-x)         (org-v3)
 *
 * ex-v and ex-w were reported before the attack: their prevRoot updates reached v-raw (and
 * v-out), not x-own. Walking every link, org-x's report would list them as indirect uses of its
 * data — who used org-v1's data, when, in which use case. Read with org-x's lineage visibility it
 * lists only ex-b, where org-v3 used org-x's own output; the page shows the same. The owners'
 * reports are unchanged.
 */
let h: Harness;
let m: Record<'x' | 'xp' | 'v1' | 'v2' | 'v3', Member>;
let pages: PagesInBrowser;
let browser: Browser;
let base: string;

async function node(nodeId: string, ownerId: string, createdByExchangeId: string) {
  await h.db.store.upsertNode({
    nodeId,
    dataId: `data-${nodeId}`,
    kind: 'chain-data',
    ownerId,
    placeholder: false,
    dvctId: 'dvct-test',
    usecaseContractId: `uc-${createdByExchangeId}`,
    dataProviderId: ownerId,
    dataConsumerId: ownerId,
    createdByExchangeId,
  });
}

/** An exchange that consumed `consumed`, made `output` from it (and `parents` above `consumed`), as the worker records it. */
async function consumed(id: string, providerId: string, consumerId: string, consumedNode: string, output: string, parents: string[] = []) {
  const base = exchange(id, { usecaseContractId: `uc-${id}`, providerId, consumerId });
  await h.db.store.insertExchangeIfAbsent({ ...base, report: { ...base.report!, dataId: `data-${consumedNode}`, dataProviderId: providerId, dataConsumerId: consumerId } });
  await h.db.store.updateExchange(id, { consumedNodeId: consumedNode, outputNodeId: output, status: 'completed', stage: 'completed' });
  for (const parent of parents) {
    await h.db.store.linkNodes({ parentNodeId: parent, childNodeId: consumedNode, exchangeId: id, usecaseContractId: `uc-${id}`, contractId: 'dc-1' });
  }
  await h.db.store.linkNodes({ parentNodeId: consumedNode, childNodeId: output, exchangeId: id, usecaseContractId: `uc-${id}`, contractId: 'dc-1' });
}

beforeAll(async () => {
  h = await createHarness();
  m = {
    x: await h.register('org-x', ['data-consumer', 'data-provider']),
    xp: await h.register('org-xp', ['data-provider']),
    v1: await h.register('org-v1', ['data-provider']),
    v2: await h.register('org-v2', ['data-consumer', 'data-provider']),
    v3: await h.register('org-v3', ['data-consumer']),
  };
  const { store } = h.db;
  await node('xp-raw', 'org-xp', 'ex-x0');
  await node('x-own', 'org-x', 'ex-x0');
  await node('v-raw', 'org-v1', 'ex-v');
  await node('v-out', 'org-v2', 'ex-v');
  await node('v-final', 'org-v3', 'ex-w');
  await node('x-out', 'org-x', 'ex-a');
  await node('b-out', 'org-v3', 'ex-b');
  // org-x's own data, made from org-xp's.
  await consumed('ex-x0', 'org-xp', 'org-x', 'xp-raw', 'x-own');
  // The victims' chain, and its prevRoot updates: each told the ancestors of what it consumed.
  await consumed('ex-v', 'org-v1', 'org-v2', 'v-raw', 'v-out');
  await consumed('ex-w', 'org-v2', 'org-v3', 'v-out', 'v-final');
  await store.recordPropagation({ ancestorNodeId: 'v-raw', exchangeId: 'ex-w', viaNodeId: 'v-out', depth: 1 });
  // The attack: org-x consumes v-raw naming its own x-own as v-raw's parent; its update reaches x-own.
  await consumed('ex-a', 'org-v1', 'org-x', 'v-raw', 'x-out', ['x-own']);
  await store.recordPropagation({ ancestorNodeId: 'x-own', exchangeId: 'ex-a', viaNodeId: 'v-raw', depth: 1 });
  await store.recordPropagation({ ancestorNodeId: 'xp-raw', exchangeId: 'ex-a', viaNodeId: 'x-own', depth: 2 });
  // A real use of org-x's output, told to every ancestor of it.
  await consumed('ex-b', 'org-x', 'org-v3', 'x-out', 'b-out');
  for (const [ancestor, via, depth] of [['v-raw', 'x-out', 1], ['x-own', 'v-raw', 2], ['xp-raw', 'x-own', 3]] as const) {
    await store.recordPropagation({ ancestorNodeId: ancestor, exchangeId: 'ex-b', viaNodeId: via, depth });
  }

  pages = await openPagesInBrowser(h.app);
  ({ base, browser } = pages);
});
afterAll(async () => {
  await pages?.close();
  await h?.close();
});

type Use = { exchangeId: string; depth: number; nodeId: string; consumerId: string };
const usesOf = async (member: Member | 'operator', participantId: string): Promise<Use[]> => {
  const res = await h.request('GET', `/v1/participants/${participantId}/report`, { key: member === 'operator' ? h.operatorKey : member.apiKey });
  expect(res.status).toBe(200);
  return res.body.uses;
};
const summary = (uses: Use[]) => uses.map((u) => `${u.exchangeId}@${u.depth}`).sort();

describe('the provider report and the linking attack', () => {
  it('gives the organisation that linked its data above another\'s only the uses it may see, whoever asks', async () => {
    // Its own consumption (ex-a) is no use of its data; ex-v and ex-w stay out.
    expect(summary(await usesOf(m.x, 'org-x'))).toEqual(['ex-b@0']);
    // The operator reads org-x's report as org-x sees its lineage: the report is the organisation's.
    expect(summary(await usesOf('operator', 'org-x'))).toEqual(['ex-b@0']);
  });

  it('lists no use whose link the organisation cannot see through the lineage API', async () => {
    const walk = await h.request('GET', '/v1/nodes/x-own/lineage?direction=forward', { key: m.x.apiKey });
    expect(walk.status).toBe(200);
    const visibleNodes = new Set(walk.body.nodes.map((n: { nodeId: string }) => n.nodeId));
    const visibleExchanges = new Set(walk.body.edges.map((e: { exchangeId: string }) => e.exchangeId));
    expect(visibleExchanges).toEqual(new Set(['ex-a', 'ex-b']));
    for (const use of await usesOf(m.x, 'org-x')) {
      expect(visibleNodes.has(use.nodeId)).toBe(true);
      expect(visibleExchanges.has(use.exchangeId)).toBe(true);
    }
  });

  it('leaves the owners\' reports whole: they see every use of their data, the attacker\'s included', async () => {
    expect(summary(await usesOf(m.v1, 'org-v1'))).toEqual(['ex-a@0', 'ex-b@1', 'ex-v@0', 'ex-w@1']);
    expect(summary(await usesOf(m.v2, 'org-v2'))).toEqual(['ex-w@0']);
    // org-xp's data is upstream of x-own, and the updates of ex-a and ex-b reached it; ex-v and ex-w did not.
    expect(summary(await usesOf(m.xp, 'org-xp'))).toEqual(['ex-a@2', 'ex-b@3', 'ex-x0@0']);
  });

  it('shows the same on the report page, in the browser', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage();
    await page.goto(`${base}/ui/report?participant=org-x`);
    await page.fill('#api-key', m.x.apiKey);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#uses tbody tr', { timeout: 15_000 });
    const rows = await page.locator('#uses tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    // consumer, data used, from, how
    expect(rows.map((r) => [r[1], r[2], r[3], r[4], r[5]])).toEqual([['uc-ex-b', 'org-v3', 'data-x-out', 'data-x-out', 'direct']]);
    expect(await page.textContent('#report h3:nth-of-type(2)')).toContain('1 direct, 0 indirect');
    const text = await page.textContent('#report');
    for (const hidden of ['org-v2', 'data-v-out', 'data-v-final', 'uc-ex-v', 'uc-ex-w']) expect(text).not.toContain(hidden);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'report-page-linking-attack.png'), fullPage: true });
    await page.context().close();
  });
});
