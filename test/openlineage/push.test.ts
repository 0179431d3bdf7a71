import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openLineageActivities } from '../../activities/openlineage';
import { DvctError } from '../../domain/errors';
import { runIdFor } from '../../lib/openlineage/event';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { contract, exchange, node, participant } from '../db/fixtures';
import { errorsOf, facetValidators } from './validator';

/** The push activity against a real database and a local OpenLineage receiver on 127.0.0.1. */
let db: TestDatabase;
let receiver: Server;
let url: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let answer = 201;

const instance = { dvctId: 'dvct-test', publicUrl: 'http://dvct.test' };

function push(openLineage: { url: string | undefined; apiKey: string | undefined }, exchangeId = 'ex-ol') {
  return openLineageActivities({ store: db.store, instance, openLineage, outgoingTimeoutMs: 2_000 }).pushOpenLineageEvent({ exchangeId });
}

beforeAll(async () => {
  db = await createTestDatabase();
  for (const id of ['orch', 'prov', 'cons']) await db.store.createParticipant(participant(id));
  await db.store.saveContract(contract('uc-1'));
  await db.store.insertExchangeIfAbsent(exchange('ex-ol'));
  await db.store.upsertNode(node('node-in', { dataId: 'data-in', ownerId: 'prov' }));
  await db.store.upsertNode(node('node-out', { dataId: 'data-out', kind: 'chain-data', ownerId: 'cons' }));
  await db.store.updateExchange('ex-ol', { consumedNodeId: 'node-in', outputNodeId: 'node-out', status: 'completed', stage: 'completed' });

  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/lineage`;
});

afterAll(async () => {
  receiver?.close();
  await db?.close();
});

beforeEach(() => {
  received.length = 0;
  answer = 201;
});

describe('pushOpenLineageEvent', () => {
  it('does nothing when no OpenLineage endpoint is configured', async () => {
    expect(await push({ url: undefined, apiKey: undefined })).toEqual({ pushed: false });
    expect(received).toEqual([]);
  });

  it('POSTs the exchange as a RunEvent, with the key as a bearer token', async () => {
    expect(await push({ url, apiKey: 'ol-secret' })).toEqual({ pushed: true, statusCode: 201 });
    expect(received).toHaveLength(1);
    const [{ headers, body }] = received as [(typeof received)[number]];
    expect(headers['content-type']).toBe('application/json');
    expect(headers.authorization).toBe('Bearer ol-secret');
    const event = JSON.parse(body);
    expect(event).toMatchObject({
      eventType: 'COMPLETE',
      run: { runId: runIdFor('ex-ol'), facets: { dvct_exchange: { exchangeId: 'ex-ol', providerId: 'prov', consumerId: 'cons', orchestratorId: 'orch' } } },
      job: { namespace: 'dvct://dvct-test', name: 'uc-1' },
      inputs: [{ name: 'data-in', facets: { dvct_node: { ownerId: 'prov' } } }],
      outputs: [{ name: 'data-out', facets: { dvct_node: { ownerId: 'cons', kind: 'chain-data' } } }],
    });
    const validate = facetValidators(instance.publicUrl).dvct_exchange;
    expect(validate({ dvct_exchange: event.run.facets.dvct_exchange }), errorsOf(validate)).toBe(true);
  });

  it('sends no authorization header without a key, and the same run id on a second push', async () => {
    await push({ url, apiKey: undefined });
    await push({ url, apiKey: undefined });
    expect(received.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
    expect(new Set(received.map((r) => JSON.parse(r.body).run.runId))).toEqual(new Set([runIdFor('ex-ol')]));
  });

  it('leaves a 5xx or an unreachable endpoint to Temporal\'s retries (a plain error)', async () => {
    answer = 503;
    const failure = await push({ url, apiKey: undefined }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(DvctError);
    expect(String(failure)).toMatch(/HTTP 503/);

    const unreachable = await push({ url: 'http://127.0.0.1:1/api/v1/lineage', apiKey: undefined }).catch((err: unknown) => err);
    expect(String(unreachable)).toMatch(/unreachable/);
  });

  it('fails for good when the endpoint refuses the event (4xx)', async () => {
    answer = 400;
    const failure = await push({ url, apiKey: undefined }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DvctError);
    expect((failure as DvctError).code).toBe('OPENLINEAGE_REJECTED');
    expect((failure as DvctError).retryable).toBe(false);
  });

  it('answers NOT_FOUND for an exchange it does not know, before calling anyone', async () => {
    const failure = await push({ url, apiKey: undefined }, 'ex-missing').catch((err: unknown) => err);
    expect((failure as DvctError).code).toBe('NOT_FOUND');
    expect(received).toEqual([]);
  });
});
