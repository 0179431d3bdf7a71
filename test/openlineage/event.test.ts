import { describe, expect, it } from 'vitest';
import type { AllocationRecord, ExchangeRecord, NodeRecord } from '../../db/records';
import { buildRunEvent, eventTypeOf, runIdFor, RUN_EVENT_SCHEMA_URL, type RunEventSource } from '../../lib/openlineage/event';
import { facetSchemaUrl, FACETS, type FacetKey } from '../../lib/openlineage/facets';
import { errorsOf, facetValidators, runEventSchemaFile, runEventValidator } from './validator';

const PUBLIC_URL = 'http://dvct.test';
const E18 = 10n ** 18n;

function nodeRecord(nodeId: string, dataId: string, kind: NodeRecord['kind'], ownerId: string | null): NodeRecord {
  const at = new Date('2026-11-20T10:00:00Z');
  return {
    nodeId, dataId, kind, ownerId, placeholder: ownerId === null, dvctId: 'connector-c1', usecaseContractId: 'uc-skills',
    dataProviderId: 'org-p1', dataConsumerId: 'org-c1', createdByExchangeId: 'ex-1', homeInstanceId: null, createdAt: at, updatedAt: at,
  };
}

function line(payerId: string, recipientId: string, points: bigint, status: AllocationRecord['status']) {
  return { round: 'initial', payerId, recipientId, amount: (points * E18).toString(), status };
}

function source(over: Partial<RunEventSource['exchange']> = {}, rest: Partial<RunEventSource> = {}): RunEventSource {
  const exchange: RunEventSource['exchange'] = {
    id: 'ex-1',
    kind: 'exchange',
    workflowId: 'exchange-ex-1',
    usecaseContractId: 'uc-skills',
    status: 'completed',
    stage: 'completed',
    providerId: 'org-p1',
    consumerId: 'org-c1',
    updatedAt: new Date('2026-11-20T10:00:05.123Z'),
    report: {
      dvctId: 'connector-c1', usecaseContractId: 'uc-skills', contractId: 'dc-1', dataId: 'p1-raw', dataProviderId: 'org-p1',
      dataConsumerId: 'org-c1', dataConsumerIsAIProvider: true, prevDataIds: [],
    },
    ...over,
  };
  return {
    instance: { dvctId: 'dvct-local', publicUrl: PUBLIC_URL },
    exchange,
    contract: { title: 'Skills analytics', orchestratorId: 'org-o' },
    consumed: nodeRecord('node-raw', 'p1-raw', 'raw-data', 'org-p1'),
    output: nodeRecord('node-chain', 'c1-chain', 'chain-data', 'org-c1'),
    allocations: [line('org-c1', 'org-p1', 5n, 'released'), line('org-o', 'org-c1', 8n, 'allocated'), line('org-o', 'org-p1', 2n, 'revoked')],
    ...rest,
  };
}

describe('buildRunEvent', () => {
  it('makes the use-case contract the job, the consumed data the input and the produced data the output', () => {
    const event = buildRunEvent(source());
    expect(event).toMatchObject({
      eventType: 'COMPLETE',
      eventTime: '2026-11-20T10:00:05.123Z',
      producer: PUBLIC_URL,
      schemaURL: RUN_EVENT_SCHEMA_URL,
      job: { namespace: 'dvct://dvct-local', name: 'uc-skills' },
      inputs: [{ namespace: 'dvct://dvct-local', name: 'p1-raw', facets: { dvct_node: { nodeId: 'node-raw', kind: 'raw-data', ownerId: 'org-p1' } } }],
      outputs: [{ namespace: 'dvct://dvct-local', name: 'c1-chain', facets: { dvct_node: { nodeId: 'node-chain', kind: 'chain-data', ownerId: 'org-c1' } } }],
    });
    expect(event.job.facets.dvct_contract).toMatchObject({ usecaseContractId: 'uc-skills', title: 'Skills analytics', orchestratorId: 'org-o' });
  });

  it('names provider, consumer, contracts and the points by allocation status in the run facet', () => {
    const facet = buildRunEvent(source()).run.facets.dvct_exchange;
    expect(facet).toMatchObject({
      exchangeId: 'ex-1', workflowId: 'exchange-ex-1', providerId: 'org-p1', consumerId: 'org-c1', orchestratorId: 'org-o',
      usecaseContractId: 'uc-skills', contractId: 'dc-1',
      points: {
        allocated: { points: '8', units: (8n * E18).toString() },
        released: { points: '5', units: (5n * E18).toString() },
        revoked: { points: '2', units: (2n * E18).toString() },
      },
    });
    expect(facet.allocations).toEqual([
      { round: 'initial', payerId: 'org-c1', recipientId: 'org-p1', points: '5', units: (5n * E18).toString(), status: 'released' },
      { round: 'initial', payerId: 'org-o', recipientId: 'org-c1', points: '8', units: (8n * E18).toString(), status: 'allocated' },
      { round: 'initial', payerId: 'org-o', recipientId: 'org-p1', points: '2', units: (2n * E18).toString(), status: 'revoked' },
    ]);
  });

  it('gives every facet a _schemaURL that names its served definition, and the facet validates against it', () => {
    const validators = facetValidators(PUBLIC_URL);
    const event = buildRunEvent(source());
    const facets: [FacetKey, { _schemaURL: string }][] = [
      ['dvct_exchange', event.run.facets.dvct_exchange],
      ['dvct_contract', event.job.facets.dvct_contract],
      ...[...event.inputs, ...event.outputs].map((d) => ['dvct_node', d.facets.dvct_node] as [FacetKey, { _schemaURL: string }]),
    ];
    for (const [key, facet] of facets) {
      expect(facet._schemaURL).toBe(`${PUBLIC_URL}/openlineage/facets/1-0-0/${FACETS[key].name}.json#/$defs/${FACETS[key].name}`);
      expect(facet._schemaURL).toBe(facetSchemaUrl(PUBLIC_URL, key));
      const validate = validators[key];
      expect(validate({ [key]: facet }), errorsOf(validate)).toBe(true);
    }
  });

  it('(control) the facet schemas refuse a facet missing a field or with a wrong kind', () => {
    const validate = facetValidators(PUBLIC_URL).dvct_node;
    const facet = buildRunEvent(source()).inputs[0]!.facets.dvct_node;
    const { ownerId: _dropped, ...withoutOwner } = facet;
    expect(validate({ dvct_node: withoutOwner })).toBe(false);
    expect(validate({ dvct_node: { ...facet, kind: 'cooked-data' } })).toBe(false);
  });

  it('keeps the run id of an exchange: a UUID (v5) derived from its id, different per exchange', () => {
    const a = buildRunEvent(source()).run.runId;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(buildRunEvent(source({ status: 'running', stage: 'allocating-points' })).run.runId).toBe(a);
    expect(runIdFor('ex-2')).not.toBe(a);
  });

  it('maps the exchange status to the OpenLineage event type', () => {
    expect(eventTypeOf('running')).toBe('RUNNING');
    expect(eventTypeOf('completed')).toBe('COMPLETE');
    for (const status of ['rejected', 'failed'] as const) expect(eventTypeOf(status)).toBe('FAIL');
    expect(eventTypeOf('cancelled')).toBe('ABORT');
  });

  it('leaves inputs and outputs empty for a pool settlement and before the nodes exist', () => {
    const settlement = buildRunEvent(
      source({ kind: 'settlement', report: null, providerId: null, consumerId: null } as Partial<ExchangeRecord>, { consumed: null, output: null }),
    );
    expect(settlement.inputs).toEqual([]);
    expect(settlement.outputs).toEqual([]);
    expect(settlement.run.facets.dvct_exchange.contractId).toBeNull();
  });

  it('counts nothing when nothing is allocated yet', () => {
    const points = buildRunEvent(source({ status: 'running' }, { allocations: [] })).run.facets.dvct_exchange.points;
    expect(points).toEqual({ allocated: { points: '0', units: '0' }, released: { points: '0', units: '0' }, revoked: { points: '0', units: '0' } });
  });
});

describe(`against the RunEvent schema kept in the repository (${runEventSchemaFile.split('/').slice(-1)[0]})`, () => {
  it('every kind of event DVCT emits is a valid RunEvent', () => {
    const validate = runEventValidator();
    for (const status of ['running', 'completed', 'rejected', 'failed', 'cancelled'] as const) {
      const event = buildRunEvent(source({ status }));
      expect(validate(event), errorsOf(validate)).toBe(true);
    }
    const settlement = buildRunEvent(source({ kind: 'settlement', report: null } as Partial<ExchangeRecord>, { consumed: null, output: null }));
    expect(validate(settlement), errorsOf(validate)).toBe(true);
  });

  it('(control) refuses an event without a run id', () => {
    const validate = runEventValidator();
    const event = buildRunEvent(source());
    expect(validate({ ...event, run: { facets: event.run.facets } })).toBe(false);
  });
});
