import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exchange } from '../../db/entities';
import type { DistributionBasis } from '../../db/records';
import type { Distribution } from '../../domain/types';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { contract, countRows, exchange, tenTimes } from './fixtures';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe('exchanges', () => {
  it('are inserted once per exchange id, also by ten concurrent requests', async () => {
    const results = await tenTimes(() => db.store.insertExchangeIfAbsent(exchange('ex-race', { idempotencyKey: 'key-race' })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.exchange.id))).toEqual(new Set(['ex-race']));
    expect(await countRows(db, Exchange, { id: 'ex-race' })).toBe(1);
  });

  it('start running in the received stage, with nothing computed yet', async () => {
    const { exchange: stored, created } = await db.store.insertExchangeIfAbsent(exchange('ex-new', { runId: 'run-1' }));
    expect(created).toBe(true);
    expect(stored).toMatchObject({ status: 'running', stage: 'received', runId: 'run-1', error: null, distribution: null, releaseAt: null });
    expect(await db.store.getExchange('ex-new')).toEqual(stored);
  });

  it('keep settlements apart from exchanges (no consumer, no report)', async () => {
    const settlement = exchange('st-1', { kind: 'settlement', workflowId: 'settlement-st-1', consumerId: null, providerId: null, report: null, settlementRound: '2025-Q1' });
    const { exchange: stored } = await db.store.insertExchangeIfAbsent(settlement);
    expect(await db.store.getExchange('st-1')).toEqual(stored);
    expect(stored).toMatchObject({ kind: 'settlement', consumerId: null, report: null, settlementRound: '2025-Q1' });
  });

  it('refuse an Idempotency-Key reused for another exchange', async () => {
    await db.store.insertExchangeIfAbsent(exchange('ex-key-a', { idempotencyKey: 'key-1' }));
    await expect(db.store.insertExchangeIfAbsent(exchange('ex-key-b', { idempotencyKey: 'key-1' }))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    expect(await db.store.getExchange('ex-key-b')).toBeNull();
  });

  it('refuse an Idempotency-Key reused for the same exchange with a different request', async () => {
    await db.store.insertExchangeIfAbsent(exchange('ex-key-c', { idempotencyKey: 'key-2' }));
    await expect(db.store.insertExchangeIfAbsent(exchange('ex-key-c', { idempotencyKey: 'key-2', requestHash: 'x'.repeat(64) }))).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('scope Idempotency-Keys per consumer and allow many requests without one', async () => {
    await db.store.insertExchangeIfAbsent(exchange('ex-scope-a', { consumerId: 'cons-a', idempotencyKey: 'same' }));
    expect((await db.store.insertExchangeIfAbsent(exchange('ex-scope-b', { consumerId: 'cons-b', idempotencyKey: 'same' }))).created).toBe(true);
    expect((await db.store.insertExchangeIfAbsent(exchange('ex-nokey-a'))).created).toBe(true);
    expect((await db.store.insertExchangeIfAbsent(exchange('ex-nokey-b'))).created).toBe(true);
  });

  it('take updates field by field, JSON and dates included', async () => {
    await db.store.insertExchangeIfAbsent(exchange('ex-update'));
    const distribution: Distribution = {
      lines: [{ payerId: 'cons', recipientId: 'prov', amount: '5000000000000000000' }],
      parts: [{ payerId: 'cons', recipientId: 'prov', amount: '5000000000000000000', reason: 'data-provider', nodeId: 'n-1', depth: 0 }],
      totalDue: '5000000000000000000',
    };
    const releaseAt = new Date('2025-06-01T12:00:00.123Z');
    const basis: DistributionBasis = {
      metrics: { dataProvider: { numPoints: 5, factor: 1 }, aiProvider: { numPoints: 0, factor: 1 } },
      qualityFactors: { aiProvider: 0.75 },
      consumedNodeId: 'n-1',
      outputNodeId: 'n-2',
      lineage: { nodes: { 'n-1': { ownerId: 'prov', parentIds: [] } } },
    };
    await db.store.updateExchange('ex-update', { stage: 'allocating-points', distribution, basis, releaseAt, allocationTxHash: '0xabc', detection: { ok: true } });
    await db.store.updateExchange('ex-update', { status: 'failed', stage: 'failed', error: { code: 'CHAIN_REVERTED', message: 'reverted', details: { reason: 'x' } } });
    const stored = await db.store.getExchange('ex-update');
    expect(stored).toMatchObject({
      status: 'failed',
      stage: 'failed',
      distribution,
      basis,
      releaseAt,
      allocationTxHash: '0xabc',
      detection: { ok: true },
      error: { code: 'CHAIN_REVERTED', message: 'reverted', details: { reason: 'x' } },
    });
    expect(stored!.updatedAt.getTime()).toBeGreaterThanOrEqual(stored!.createdAt.getTime());

    await db.store.updateExchange('ex-update', { error: null });
    expect((await db.store.getExchange('ex-update'))!.error).toBeNull();
  });

  it('cannot be updated when unknown', async () => {
    await expect(db.store.updateExchange('ex-missing', { stage: 'completed' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('the exchanges of a party', () => {
  it('are those it consumed or provided in, pays or is paid in, or orchestrates the contract of', async () => {
    await db.store.saveContract(contract('uc-party', { orchestratorId: 'party-orch' }));
    await db.store.insertExchangeIfAbsent(exchange('ex-party-1', { consumerId: 'party-c', providerId: 'party-p' }));
    await db.store.insertExchangeIfAbsent(exchange('ex-party-2', { consumerId: 'party-c2', providerId: 'party-p', usecaseContractId: 'uc-party' }));
    await db.store.insertExchangeIfAbsent(exchange('ex-party-3', { consumerId: 'party-c2', providerId: 'party-p2' }));
    await db.store.recordDistribution({
      exchangeId: 'ex-party-3',
      round: 'inc-x',
      parts: [],
      lines: [{ payerId: 'party-payer', recipientId: 'party-upstream', amount: '1' }],
      allocationTxHash: null,
      releaseAt: new Date(),
    });

    expect(await db.store.exchangeIdsOfParty('party-c')).toEqual(['ex-party-1']);
    expect(await db.store.exchangeIdsOfParty('party-p')).toEqual(['ex-party-1', 'ex-party-2']);
    expect(await db.store.exchangeIdsOfParty('party-orch')).toEqual(['ex-party-2']);
    expect(await db.store.exchangeIdsOfParty('party-upstream')).toEqual(['ex-party-3']);
    expect(await db.store.exchangeIdsOfParty('party-payer')).toEqual(['ex-party-3']);
    expect(await db.store.exchangeIdsOfParty('nobody')).toEqual([]);
  });
});
