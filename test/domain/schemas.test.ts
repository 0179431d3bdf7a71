import { DEFAULT_REVIEW_POLICY } from '../../domain/incidents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { contractInputSchema, exchangeReportSchema, incentiveTermSchema, participantInputSchema } from '../../domain/schemas';
import type { ExchangeReport } from '../../domain/types';

/** The design document's "Input data", verbatim. */
const SEED_INPUT = `{
  "dvctId": "connector_id",
  "usecaseContractId": "use_case_contract_id",
  "usecaseContractTitle": "use_case_contract_title",
  "extraIncentiveForAIProvider": {
    "numPoints": 10,
    "factor": 1,
    "factorCheck": false
  },
  "contractId": "contract_id",
  "dataId": "data_id",
  "dataProviderId": "data_provider_id",
  "dataConsumerId": "data_consumer_id",
  "dataConsumerIsAIProvider": false,
  "prevDataId": "data_id",
  "incentiveForDataProvider": {
    "numPoints": 5,
    "factor": 1,
    "factorCheck": false
  }
}`;

function issues(schema: z.ZodType, input: unknown): { path: PropertyKey[]; message: string }[] {
  const result = schema.safeParse(input);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((i) => ({ path: i.path, message: i.message }));
}

describe('exchangeReportSchema', () => {
  it("parses the seed's input JSON into an ExchangeReport", () => {
    const report: ExchangeReport = exchangeReportSchema.parse(JSON.parse(SEED_INPUT));
    expect(report).toEqual({
      dvctId: 'connector_id',
      usecaseContractId: 'use_case_contract_id',
      usecaseContractTitle: 'use_case_contract_title',
      extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
      contractId: 'contract_id',
      dataId: 'data_id',
      dataProviderId: 'data_provider_id',
      dataConsumerId: 'data_consumer_id',
      dataConsumerIsAIProvider: false,
      prevDataIds: ['data_id'],
      incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    });
    expect(report).not.toHaveProperty('prevDataId');
  });

  it('takes prevDataId as a list too, deduplicated in order', () => {
    const seed = JSON.parse(SEED_INPUT);
    expect(exchangeReportSchema.parse({ ...seed, prevDataId: ['b', 'a', 'b', ' a '] }).prevDataIds).toEqual(['b', 'a']);
    expect(exchangeReportSchema.parse({ ...seed, prevDataId: [] }).prevDataIds).toEqual([]);
  });

  it('fills defaults and leaves absent optional fields absent', () => {
    const minimal = {
      dvctId: 'c',
      usecaseContractId: 'uc',
      contractId: 'k',
      dataId: 'd',
      dataProviderId: 'p',
      dataConsumerId: 'q',
    };
    const report = exchangeReportSchema.parse(minimal);
    expect(report).toEqual({ ...minimal, dataConsumerIsAIProvider: false, prevDataIds: [] });
    expect(Object.keys(report)).not.toContain('outputDataId');
    const withOutput = exchangeReportSchema.parse({ ...minimal, outputDataId: 'o', outputDataType: 'final-data' });
    expect(withOutput).toMatchObject({ outputDataId: 'o', outputDataType: 'final-data' });
    expect(exchangeReportSchema.parse({ ...minimal, incentiveForDataProvider: { numPoints: 5, factor: 1 } }).incentiveForDataProvider).toEqual({
      numPoints: 5,
      factor: 1,
      factorCheck: false,
    });
  });

  it('rejects unknown fields, naming them', () => {
    const found = issues(exchangeReportSchema, { ...JSON.parse(SEED_INPUT), numPoints: 5 });
    expect(found).toEqual([expect.objectContaining({ message: expect.stringContaining('"numPoints"') })]);
    const nested = issues(exchangeReportSchema, { ...JSON.parse(SEED_INPUT), incentiveForDataProvider: { numPoints: 5, factor: 1, bonus: 1 } });
    expect(nested).toEqual([expect.objectContaining({ path: ['incentiveForDataProvider'], message: expect.stringContaining('"bonus"') })]);
  });

  it.each<[string, Record<string, unknown>, PropertyKey[]]>([
    ['a missing dataId', { dataId: undefined }, ['dataId']],
    ['an empty id', { dataProviderId: '' }, ['dataProviderId']],
    ['a blank id', { dataConsumerId: '   ' }, ['dataConsumerId']],
    ['a control character', { dataId: 'a\u0000b' }, ['dataId']],
    ['a newline', { contractId: 'a\nb' }, ['contractId']],
    ['an id of 257 characters', { dvctId: 'x'.repeat(257) }, ['dvctId']],
    ['a numeric id', { usecaseContractId: 42 }, ['usecaseContractId']],
    ['a non-boolean flag', { dataConsumerIsAIProvider: 'yes' }, ['dataConsumerIsAIProvider']],
    ['a bad prevDataId entry', { prevDataId: ['ok', ''] }, ['prevDataId', 1]],
    ['too many prevDataIds', { prevDataId: Array.from({ length: 1001 }, (_, i) => `d${i}`) }, ['prevDataId']],
    ['a raw-data output', { outputDataType: 'raw-data' }, ['outputDataType']],
    ['negative points', { incentiveForDataProvider: { numPoints: -5, factor: 1, factorCheck: false } }, ['incentiveForDataProvider', 'numPoints']],
    ['19 decimals of points', { incentiveForDataProvider: { numPoints: 1e-19, factor: 1, factorCheck: false } }, ['incentiveForDataProvider', 'numPoints']],
    ['a factor above 1', { extraIncentiveForAIProvider: { numPoints: 10, factor: 1.5, factorCheck: false } }, ['extraIncentiveForAIProvider', 'factor']],
    ['a null title', { usecaseContractTitle: null }, ['usecaseContractTitle']],
  ])('rejects %s, naming the field', (_case, change, path) => {
    const found = issues(exchangeReportSchema, { ...JSON.parse(SEED_INPUT), ...change });
    expect(found.map((i) => i.path)).toContainEqual(path);
  });

  it('trims ids', () => {
    expect(exchangeReportSchema.parse({ ...JSON.parse(SEED_INPUT), dataId: '  data_id \t' }).dataId).toBe('data_id');
  });

  const idArb = fc.stringMatching(/^[A-Za-z0-9_:/.-]{1,40}$/);
  it('keeps every valid id as sent and every parent once', () => {
    fc.assert(
      fc.property(idArb, idArb, idArb, fc.array(idArb, { maxLength: 8 }), fc.boolean(), (dataId, providerId, consumerId, prev, ai) => {
        const report = exchangeReportSchema.parse({
          dvctId: 'conn',
          usecaseContractId: 'uc',
          contractId: 'k',
          dataId,
          dataProviderId: providerId,
          dataConsumerId: consumerId,
          dataConsumerIsAIProvider: ai,
          prevDataId: prev,
        });
        expect(report.dataId).toBe(dataId);
        expect(report.prevDataIds).toEqual([...new Set(prev)]);
        expect(report.dataConsumerIsAIProvider).toBe(ai);
      }),
    );
  });
});

describe('incentiveTermSchema', () => {
  it('accepts the design document terms and rejects out-of-range ones', () => {
    expect(incentiveTermSchema.parse({ numPoints: 5, factor: 1.0, factorCheck: false })).toEqual({ numPoints: 5, factor: 1, factorCheck: false });
    expect(incentiveTermSchema.parse({ numPoints: 0.5, factor: 0.333333, factorCheck: true })).toEqual({ numPoints: 0.5, factor: 0.333333, factorCheck: true });
    expect(issues(incentiveTermSchema, { numPoints: 5, factor: 0.1234567 })).toEqual([
      { path: ['factor'], message: expect.stringContaining('at most 6 decimals') },
    ]);
    expect(issues(incentiveTermSchema, { numPoints: '5', factor: 1 })[0]?.path).toEqual(['numPoints']);
  });
});

const CONTRACT = {
  id: 'uc-1',
  title: 'Skills analytics',
  orchestratorId: 'orch',
  parties: [
    { participantId: 'orch', roles: ['orchestrator'] },
    { participantId: 'prov', roles: ['data-provider', 'data-provider'] },
    { participantId: 'cons', roles: ['data-consumer', 'ai-provider'] },
  ],
  validFrom: '2025-01-01T01:00:00+01:00',
  incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
};

describe('contractInputSchema', () => {
  it('parses a contract into a UseCaseContract with defaults, instants in UTC and roles once', () => {
    expect(contractInputSchema.parse(CONTRACT)).toEqual({
      ...CONTRACT,
      parties: [
        { participantId: 'orch', roles: ['orchestrator'] },
        { participantId: 'prov', roles: ['data-provider'] },
        { participantId: 'cons', roles: ['data-consumer', 'ai-provider'] },
      ],
      validFrom: '2025-01-01T00:00:00.000Z',
      validUntil: null,
      extraIncentiveForAIProvider: null,
      upstream: null,
      rewardPool: null,
      verificationWindowSeconds: 86_400,
      review: DEFAULT_REVIEW_POLICY,
      validationRules: [],
    });
  });

  it('answers each broken contract rule as an issue at its field', () => {
    const found = issues(contractInputSchema, {
      ...CONTRACT,
      validUntil: '2024-01-01T00:00:00Z',
      upstream: { share: 0.2, depth: 0 },
      rewardPool: { numPoints: 10, weights: [{ participantId: 'nobody', weight: 1 }] },
    });
    expect(found).toEqual([
      { path: ['upstream', 'depth'], message: expect.stringContaining('upstream.depth must be an integer from 1 to 20') },
      { path: ['validUntil'], message: expect.stringContaining('must be after validFrom') },
      { path: ['rewardPool', 'weights', 0, 'participantId'], message: expect.stringContaining('nobody, who is not a party') },
    ]);
  });

  it('reports field errors first, without repeating them as contract problems', () => {
    const found = issues(contractInputSchema, { ...CONTRACT, validFrom: '2025-01-01', incentiveForDataProvider: { numPoints: 5, factor: 2 } });
    expect(found.map((i) => i.path)).toEqual([['validFrom'], ['incentiveForDataProvider', 'factor']]);
  });

  it('rejects unknown fields and a missing orchestrator role', () => {
    expect(issues(contractInputSchema, { ...CONTRACT, owner: 'x' })[0]?.message).toContain('"owner"');
    expect(issues(contractInputSchema, { ...CONTRACT, orchestratorId: 'prov' })).toEqual([
      { path: ['orchestratorId'], message: expect.stringContaining('must be a party with the role orchestrator') },
    ]);
    expect(issues(contractInputSchema, { ...CONTRACT, parties: [{ participantId: 'orch', roles: ['boss'] }] })[0]?.path).toEqual([
      'parties',
      0,
      'roles',
      0,
    ]);
  });
});

describe('participantInputSchema', () => {
  const VALID = {
    id: 'org-p1',
    name: 'Provider One',
    roles: ['data-provider', 'reviewer'],
    walletAddress: '0xAbCdEf0123456789aBcDeF0123456789AbCdEf01',
  };

  it('normalises the wallet to lowercase and points to a canonical decimal string', () => {
    expect(participantInputSchema.parse(VALID)).toEqual({ ...VALID, walletAddress: '0xabcdef0123456789abcdef0123456789abcdef01' });
    expect(participantInputSchema.parse({ ...VALID, initialPoints: '1e3' }).initialPoints).toBe('1000');
    expect(participantInputSchema.parse({ ...VALID, initialPoints: 0.1 }).initialPoints).toBe('0.1');
    expect(participantInputSchema.parse({ ...VALID, initialPoints: '2.50' }).initialPoints).toBe('2.5');
    expect(participantInputSchema.parse({ ...VALID, webhookUrl: 'http://127.0.0.1:4000/hook' }).webhookUrl).toBe('http://127.0.0.1:4000/hook');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an id too short', { id: 'ab' }, 'id'],
    ['an id too long', { id: 'a'.repeat(65) }, 'id'],
    ['an uppercase id', { id: 'Org-P1' }, 'id'],
    ['an id starting with a dash', { id: '-org' }, 'id'],
    ['an empty name', { name: ' ' }, 'name'],
    ['no roles', { roles: [] }, 'roles'],
    ['an unknown role', { roles: ['admin'] }, 'roles'],
    ['a short wallet', { walletAddress: '0x1234' }, 'walletAddress'],
    ['a wallet without 0x', { walletAddress: 'abcdef0123456789abcdef0123456789abcdef0123' }, 'walletAddress'],
    ['an ftp webhook', { webhookUrl: 'ftp://example.org/hook' }, 'webhookUrl'],
    ['a webhook that is no URL', { webhookUrl: 'not a url' }, 'webhookUrl'],
    ['negative points', { initialPoints: -1 }, 'initialPoints'],
    ['points with 19 decimals', { initialPoints: '0.0000000000000000001' }, 'initialPoints'],
    ['points as words', { initialPoints: 'ten' }, 'initialPoints'],
    ['an unknown field', { email: 'a@b.c' }, ''],
  ])('rejects %s', (_case, change, field) => {
    const found = issues(participantInputSchema, { ...VALID, ...change });
    if (field) expect(found.map((i) => i.path[0])).toContain(field);
    else expect(found[0]?.message).toContain('"email"');
  });
});
