import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { designSequenceContract } from '../support/contract-body';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIdFor } from '../../lib/ids';
import { ARTIFACTS_DIR, openPagesInBrowser, type PagesInBrowser } from '../support/browser';
import { deposit, registerMember, startStack, waitForExchange, type Member, type Stack } from '../support/stack';

/**
 * The lineage and report pages in a real browser (Debian's Chromium, headless), on the design
 * document's sequence played through the real worker, Temporal and chain: P1's raw data used by
 * C1 (an AI provider) into chain data, then by C2 together with C1's output into final data.
 * Participant ids carry the `viz-` prefix: workflow ids are global to the suite's namespace.
 */
describe('the lineage and provider report pages', () => {
  let stack: Stack;
  let pages: PagesInBrowser;
  let base: string;
  let browser: Browser;
  let o: Member, p1: Member, c1: Member, c2: Member;
  const node = { raw: nodeIdFor('p1-raw'), chain: nodeIdFor('c1-chain'), final: nodeIdFor('c2-final') };

  const report = (over: Record<string, unknown>) => ({
    dvctId: 'connector-viz',
    usecaseContractId: 'viz-skills',
    usecaseContractTitle: 'Skills analytics',
    contractId: 'dc-1',
    dataConsumerIsAIProvider: false,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    ...over,
  });

  async function reportAndWait(member: Member, body: Record<string, unknown>): Promise<void> {
    const res = await stack.request('POST', '/v1/exchanges', { key: member.apiKey, body });
    expect(res.status).toBe(202);
    await waitForExchange(stack, res.body.exchangeId, member.apiKey, (b) => b.status === 'completed');
  }

  beforeAll(async () => {
    stack = await startStack();
    o = await registerMember(stack, { id: 'viz-o', roles: ['orchestrator'], initialPoints: 100 });
    p1 = await registerMember(stack, { id: 'viz-p1', roles: ['data-provider'] });
    c1 = await registerMember(stack, { id: 'viz-c1', roles: ['data-consumer', 'ai-provider', 'data-provider'], initialPoints: 100 });
    c2 = await registerMember(stack, { id: 'viz-c2', roles: ['data-consumer'], initialPoints: 100 });
    await Promise.all([deposit(stack, o, 50), deposit(stack, c1, 50), deposit(stack, c2, 50)]);
    const contract = await stack.request('POST', '/v1/contracts', {
      key: stack.operatorKey,
      body: designSequenceContract('viz-skills', 'viz', 1),
    });
    expect(contract.status).toBe(201);

    await reportAndWait(
      c1,
      report({ dataId: 'p1-raw', dataProviderId: 'viz-p1', dataConsumerId: 'viz-c1', dataConsumerIsAIProvider: true, outputDataId: 'c1-chain', extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false } }),
    );
    await reportAndWait(c2, report({ dataId: 'p1-raw', dataProviderId: 'viz-p1', dataConsumerId: 'viz-c2', outputDataId: 'c2-final', outputDataType: 'final-data' }));
    await reportAndWait(
      c2,
      report({ dataId: 'c1-chain', dataProviderId: 'viz-c1', dataConsumerId: 'viz-c2', prevDataId: 'p1-raw', outputDataId: 'c2-final', outputDataType: 'final-data' }),
    );

    pages = await openPagesInBrowser(stack.app);
    ({ base, browser } = pages);
  });

  afterAll(async () => {
    await pages?.close();
    await stack?.close();
  });

  /** A fresh tab (its own sessionStorage) that has typed in `key`. */
  async function openWithKey(path: string, key: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage();
    await page.goto(`${base}${path}`);
    await page.fill('#api-key', key);
    await page.click('#key-form button[type=submit]');
    return page;
  }

  const nodeText = (page: Page, nodeId: string) => page.locator(`g.node[data-node-id="${nodeId}"] text`).allTextContents();
  const edgeText = (page: Page, from: string, to: string) => page.locator(`g.edge[data-from="${from}"][data-to="${to}"] text`).allTextContents();

  it('serves pages that hold no data and load nothing from elsewhere', async () => {
    for (const path of ['/ui/lineage', '/ui/report']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).not.toMatch(/viz-|p1-raw/);
      expect(html).not.toMatch(/https?:\/\//);
    }
  });

  it('draws the value chain of C2\'s final data: nodes by kind and owner, edges with contract and points', async () => {
    // P1 is a party to all three exchanges (paid in each), so its key sees every link.
    const page = await openWithKey(`/ui/lineage?node=${node.final}&direction=both&depth=3`, p1.apiKey);
    await page.waitForSelector('g.node', { timeout: 15_000 });
    expect(await page.locator('g.node').count()).toBe(3);
    expect(await nodeText(page, node.raw)).toEqual(['p1-raw', 'raw data · viz-p1']);
    expect(await nodeText(page, node.chain)).toEqual(['c1-chain', 'chain data · viz-c1']);
    expect(await nodeText(page, node.final)).toEqual(['c2-final', 'final data · viz-c2']);
    expect(await page.getAttribute(`g.node[data-node-id="${node.final}"]`, 'class')).toContain('center');
    expect(await page.getAttribute(`g.node[data-node-id="${node.raw}"]`, 'class')).toContain('kind-raw-data');

    expect(await page.locator('g.edge').count()).toBe(3);
    // Exchange 1 allocated 5 (C1 → P1) + 10 (O → C1, 2 of it upstream to P1); the two uses by C2 allocated 5 each.
    expect(await edgeText(page, node.raw, node.chain)).toEqual(['viz-skills (dc-1)', '15 points']);
    expect(await edgeText(page, node.raw, node.final)).toEqual(['viz-skills (dc-1)', '5 points']);
    expect(await edgeText(page, node.chain, node.final)).toEqual(['viz-skills (dc-1)', '5 points']);
    expect(await page.textContent('#status')).toContain('3 nodes, 3 links around c2-final');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'lineage-page.png'), fullPage: true });

    // Clicking a node centres the page on it; the URL follows.
    await page.click(`g.node[data-node-id="${node.raw}"]`);
    await page.waitForSelector(`g.node.center[data-node-id="${node.raw}"]`);
    expect(new URL(page.url()).searchParams.get('node')).toBe(node.raw);
    expect(await page.locator('g.edge').count()).toBe(3);

    // One level forward from the raw data: its two direct uses, not the link between them.
    await page.selectOption('select[name=direction]', 'forward');
    await page.selectOption('select[name=depth]', '1');
    await page.click('#lineage-form button[type=submit]');
    await expect.poll(() => page.locator('g.edge').count()).toBe(2);
    expect(await edgeText(page, node.chain, node.final)).toEqual([]);
    expect(new URL(page.url()).searchParams.get('direction')).toBe('forward');
    expect(await page.textContent('#status')).toContain('goes on beyond this depth');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'lineage-page-recentred.png'), fullPage: true });
    await page.context().close();
  });

  it('shows P1 its report: where its data was used, the points it earned and a chart of them over time', async () => {
    const page = await openWithKey('/ui/report?participant=viz-p1', p1.apiKey);
    await page.waitForSelector('#report .totals', { timeout: 15_000 });
    // P1: 5 + 2 (exchange 1), 5 (C2 uses its raw data), 1 (upstream share when C2 uses C1's chain data).
    const total = (name: string) => page.textContent(`[data-total="${name}"] dd`);
    expect(await total('earned')).toBe('13');
    expect(await total('released')).toBe('13');
    expect(await total('pending')).toBe('0');
    expect(await total('revoked')).toBe('0');

    const rows = async (table: string) =>
      page.locator(`#${table} tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(await rows('usage')).toEqual([
      ['viz-skills', 'direct', '2', '12'],
      ['viz-skills', 'indirect, 1 step down', '1', '1'],
    ]);
    const uses = await rows('uses');
    expect(uses.map((u) => [u[2], u[3], u[5], u[6]])).toEqual([
      ['viz-c2', 'c1-chain', 'indirect, 1 step down', '1'],
      ['viz-c2', 'p1-raw', 'direct', '5'],
      ['viz-c1', 'p1-raw', 'direct', '7'],
    ]);
    expect(await rows('reasons')).toEqual([
      ['data-provider', '10'],
      ['upstream', '3'],
    ]);
    expect(await page.locator('#chart path[data-series="earned"]').count()).toBe(1);
    expect(await page.locator('#chart path[data-series="released"]').count()).toBe(1);
    expect(await page.textContent('#chart figcaption')).toContain('earned: 13 points');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'report-page.png'), fullPage: true });

    // A use links to the lineage page centred on the data that was used.
    await page.click('#uses tbody tr:first-child a');
    await page.waitForSelector(`g.node.center[data-node-id="${node.chain}"]`, { timeout: 15_000 });
    await page.context().close();
  });

  it('shows pending and revoked points, and the chart of them, once a held allocation is partly revoked', async () => {
    // A contract whose window outlasts the test: exchange 4's lines stay allocated, not released.
    const held = await stack.request('POST', '/v1/contracts', { key: stack.operatorKey, body: designSequenceContract('viz-held', 'viz', 3_600) });
    expect(held.status).toBe(201);
    const reported = await stack.request('POST', '/v1/exchanges', {
      key: c1.apiKey,
      body: report({
        usecaseContractId: 'viz-held',
        dataId: 'p1-raw',
        dataProviderId: 'viz-p1',
        dataConsumerId: 'viz-c1',
        dataConsumerIsAIProvider: true,
        outputDataId: 'c1-held',
        extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
      }),
    });
    expect(reported.status).toBe(202);
    const exchangeId = reported.body.exchangeId as string;
    await waitForExchange(stack, exchangeId, p1.apiKey, (b) => b.stage === 'verification-window');
    // The orchestrator revokes the 2 upstream points it paid P1; C1's 5 for the data stay pending.
    const revoked = await stack.request('POST', `/v1/exchanges/${exchangeId}/revocations`, { key: o.apiKey, body: { recipientId: 'viz-p1', payerId: 'viz-o', reason: 'upstream share disputed' } });
    expect(revoked.status).toBe(202);
    await waitForExchange(stack, exchangeId, p1.apiKey, (b) =>
      b.allocations.some((a: { payerId: string; recipientId: string; status: string }) => a.payerId === 'viz-o' && a.recipientId === 'viz-p1' && a.status === 'revoked'),
    );

    const page = await openWithKey('/ui/report?participant=viz-p1', p1.apiKey);
    await page.waitForSelector('#report .totals', { timeout: 15_000 });
    const total = (name: string) => page.textContent(`[data-total="${name}"] dd`);
    // Released 13 as before; pending 5 (C1 → P1, held); revoked 2 (O → P1); earned = pending + released.
    expect(await total('pending')).toBe('5');
    expect(await total('revoked')).toBe('2');
    expect(await total('released')).toBe('13');
    expect(await total('earned')).toBe('18');
    for (const series of ['earned', 'released', 'revoked']) expect(await page.locator(`#chart path[data-series="${series}"]`).count()).toBe(1);
    const caption = await page.textContent('#chart figcaption');
    expect(caption).toContain('earned: 18 points');
    expect(caption).toContain('revoked: 2 points');
    const uses = await page.locator('#uses tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    // The held use: 7 awarded, 2 of them revoked.
    expect(uses.filter((u) => u[1] === 'viz-held').map((u) => [u[2], u[3], u[5], u[6], u[7]])).toEqual([['viz-c1', 'p1-raw', 'direct', '5', '2']]);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'report-page-pending-revoked.png'), fullPage: true });
    await page.context().close();
  });

  it('keeps the API\'s rules: C1 sees no report of P1 and only the links it is party to; a wrong key is asked for again', async () => {
    const page = await openWithKey('/ui/report?participant=viz-p1', c1.apiKey);
    await page.waitForSelector('.problem');
    expect(await page.textContent('.problem')).toContain('NOT_FOUND');
    await page.context().close();

    // C2 is no party to exchange 1 (C1 using P1's raw data): that link is not drawn for it.
    const c2View = await openWithKey(`/ui/lineage?node=${node.final}&direction=both&depth=3`, c2.apiKey);
    await c2View.waitForSelector('g.edge');
    expect(await c2View.locator('g.edge').count()).toBe(2);
    expect(await edgeText(c2View, node.raw, node.chain)).toEqual([]);
    await c2View.context().close();

    const wrong = await openWithKey(`/ui/lineage?node=${node.raw}`, 'dvct_000000000000_not-a-real-key-not-a-real-key-not-a-real-key');
    await wrong.waitForSelector('.problem');
    expect(await wrong.textContent('.problem')).toContain('UNAUTHENTICATED');
    await wrong.waitForSelector('#key-form');
    await wrong.context().close();
  });
});
