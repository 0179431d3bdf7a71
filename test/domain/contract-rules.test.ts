import { describe, expect, it } from 'vitest';
import { checkExchangeAgainstContract, findContractProblems, validateContractTerms } from '../../domain/contract-rules';
import type { ExchangeReport, UseCaseContract } from '../../domain/types';
import { makeContract, makeReport } from './fixtures';

const NOW = new Date('2026-06-01T12:00:00Z');
const REGISTERED = new Set(['orch', 'prov', 'cons']);

function check(
  overrides: { contract?: UseCaseContract | null; report?: Partial<ExchangeReport>; now?: Date; registered?: Set<string> } = {},
) {
  return checkExchangeAgainstContract({
    contract: overrides.contract === undefined ? makeContract() : overrides.contract,
    report: makeReport(overrides.report),
    now: overrides.now ?? NOW,
    registeredParticipantIds: overrides.registered ?? REGISTERED,
  });
}

describe('checkExchangeAgainstContract', () => {
  it('accepts an exchange that follows the contract, with or without reported terms', () => {
    expect(check()).toEqual({ ok: true });
    expect(
      check({
        report: {
          incentiveForDataProvider: { numPoints: 5, factor: 1.0, factorCheck: false },
          extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
        },
      }),
    ).toEqual({ ok: true });
  });

  it('CONTRACT_NOT_FOUND when the registry has no such contract', () => {
    expect(check({ contract: null })).toMatchObject({ ok: false, code: 'CONTRACT_NOT_FOUND', message: expect.stringContaining('uc-1') });
  });

  it('VALIDATION_FAILED when the report names another contract', () => {
    expect(check({ report: { usecaseContractId: 'uc-2' } })).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', message: expect.stringContaining('uc-2') });
  });

  it('VALIDATION_FAILED when provider and consumer are the same', () => {
    expect(check({ report: { dataConsumerId: 'prov' } })).toMatchObject({ ok: false, code: 'VALIDATION_FAILED', message: expect.stringContaining('prov') });
  });

  it('INVALID_INCENTIVE_TERMS when the contract itself is invalid', () => {
    const contract = makeContract({ incentiveForDataProvider: { numPoints: 5, factor: 1.5, factorCheck: false } });
    expect(check({ contract })).toMatchObject({
      ok: false,
      code: 'INVALID_INCENTIVE_TERMS',
      message: expect.stringContaining('incentiveForDataProvider.factor'),
      details: { problems: [expect.stringContaining('incentiveForDataProvider.factor')] },
    });
  });

  it('CONTRACT_NOT_IN_FORCE before validFrom and after validUntil, naming the date; both bounds inclusive', () => {
    expect(check({ now: new Date('2024-12-31T23:59:59.999Z') })).toMatchObject({
      ok: false,
      code: 'CONTRACT_NOT_IN_FORCE',
      message: expect.stringContaining('in force from 2025-01-01T00:00:00.000Z'),
    });
    expect(check({ now: new Date('2027-01-01T00:00:00.001Z') })).toMatchObject({
      ok: false,
      code: 'CONTRACT_NOT_IN_FORCE',
      message: expect.stringContaining('expired at 2027-01-01T00:00:00.000Z'),
    });
    expect(check({ now: new Date('2025-01-01T00:00:00Z') })).toEqual({ ok: true });
    expect(check({ now: new Date('2027-01-01T00:00:00Z') })).toEqual({ ok: true });
    expect(check({ contract: makeContract({ validUntil: null }), now: new Date('2999-01-01T00:00:00Z') })).toEqual({ ok: true });
  });

  it('NOT_A_PARTY naming who and which role', () => {
    expect(check({ report: { dataProviderId: 'stranger' } })).toMatchObject({
      ok: false,
      code: 'NOT_A_PARTY',
      message: expect.stringMatching(/stranger is not a party .* data-provider/),
      details: { participantId: 'stranger', requiredRole: 'data-provider', roles: [] },
    });
    // The orchestrator is a party, but not as a data consumer.
    expect(check({ report: { dataConsumerId: 'orch', dataConsumerIsAIProvider: false } })).toMatchObject({
      ok: false,
      code: 'NOT_A_PARTY',
      message: expect.stringContaining('orch is a party to contract uc-1 as orchestrator, not as data-consumer'),
    });
  });

  it('requires the ai-provider role of a consumer that reports itself as AI provider', () => {
    const contract = makeContract({
      parties: [
        { participantId: 'orch', roles: ['orchestrator'] },
        { participantId: 'prov', roles: ['data-provider'] },
        { participantId: 'cons', roles: ['data-consumer'] },
      ],
    });
    expect(check({ contract, report: { dataConsumerIsAIProvider: false } })).toEqual({ ok: true });
    expect(check({ contract, report: { dataConsumerIsAIProvider: true } })).toMatchObject({
      ok: false,
      code: 'NOT_A_PARTY',
      details: { participantId: 'cons', requiredRole: 'ai-provider' },
    });
  });

  it('UNKNOWN_PARTICIPANT when a party is not registered', () => {
    expect(check({ registered: new Set(['orch', 'prov']) })).toMatchObject({
      ok: false,
      code: 'UNKNOWN_PARTICIPANT',
      details: { participantId: 'cons' },
    });
  });

  it('INCENTIVE_TERMS_MISMATCH when a report grants more points than the contract, naming the field and both values', () => {
    const result = check({ report: { incentiveForDataProvider: { numPoints: 10, factor: 1, factorCheck: false } } });
    expect(result).toMatchObject({
      ok: false,
      code: 'INCENTIVE_TERMS_MISMATCH',
      message: expect.stringContaining('incentiveForDataProvider.numPoints: the report says 10, the contract says 5'),
      details: { mismatches: [{ field: 'incentiveForDataProvider.numPoints', reported: 10, contract: 5 }] },
    });
    expect(check({ report: { extraIncentiveForAIProvider: { numPoints: 10, factor: 0.5, factorCheck: true } } })).toMatchObject({
      code: 'INCENTIVE_TERMS_MISMATCH',
      details: { mismatches: [{ field: 'extraIncentiveForAIProvider.factorCheck', reported: true, contract: false }] },
    });
  });

  it('accepts lower points or another factor: allocated as reported, then detection compares with the contract', () => {
    expect(check({ report: { extraIncentiveForAIProvider: { numPoints: 8, factor: 0.5, factorCheck: false } } })).toEqual({ ok: true });
  });

  it('refuses any difference once the contract carries the rule reported-terms-match-contract', () => {
    const contract = makeContract({ validationRules: ['reported-terms-match-contract'] });
    expect(check({ contract, report: { extraIncentiveForAIProvider: { numPoints: 8, factor: 0.5, factorCheck: false } } })).toMatchObject({
      code: 'INCENTIVE_TERMS_MISMATCH',
      details: {
        mismatches: [
          { field: 'extraIncentiveForAIProvider.numPoints', reported: 8, contract: 10, rule: 'reported-terms-match-contract' },
          { field: 'extraIncentiveForAIProvider.factor', reported: 0.5, contract: 1, rule: 'reported-terms-match-contract' },
        ],
      },
    });
    expect(check({ contract, report: { extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false } } })).toEqual({ ok: true });
  });

  it('INCENTIVE_TERMS_MISMATCH when the report carries terms the contract does not have', () => {
    const contract = makeContract({ extraIncentiveForAIProvider: null });
    expect(check({ contract, report: { extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false } } })).toMatchObject({
      code: 'INCENTIVE_TERMS_MISMATCH',
      message: expect.stringContaining('the contract says null'),
    });
  });
});

describe('validateContractTerms', () => {
  it('finds nothing wrong with a valid contract', () => {
    expect(validateContractTerms(makeContract())).toEqual([]);
    expect(
      validateContractTerms(
        makeContract({
          upstream: { share: 0.999999, depth: 20 },
          rewardPool: { numPoints: 100, weights: [{ participantId: 'prov', weight: 0 }, { participantId: 'cons', weight: 0.5 }] },
          verificationWindowSeconds: 0,
        }),
      ),
    ).toEqual([]);
  });

  const ORCH = { participantId: 'orch', roles: ['orchestrator' as const] };

  it.each<[string, Partial<UseCaseContract>, string]>([
    ['negative numPoints', { incentiveForDataProvider: { numPoints: -1, factor: 1, factorCheck: false } }, 'incentiveForDataProvider.numPoints must not be negative'],
    ['19 decimals', { incentiveForDataProvider: { numPoints: 1e-19, factor: 1, factorCheck: false } }, 'incentiveForDataProvider.numPoints must have at most 18 decimals'],
    ['factor above 1', { extraIncentiveForAIProvider: { numPoints: 1, factor: 1.1, factorCheck: false } }, 'extraIncentiveForAIProvider.factor'],
    ['factor with 7 decimals', { incentiveForDataProvider: { numPoints: 1, factor: 0.1234567, factorCheck: false } }, 'incentiveForDataProvider.factor must have at most 6 decimals'],
    ['share of 1', { upstream: { share: 1, depth: 1 } }, 'upstream.share must be less than 1'],
    ['share with 7 decimals', { upstream: { share: 0.1234567, depth: 1 } }, 'upstream.share must have at most 6 decimals'],
    ['depth 0', { upstream: { share: 0.2, depth: 0 } }, 'upstream.depth must be an integer from 1 to 20 (got 0)'],
    ['depth 21', { upstream: { share: 0.2, depth: 21 } }, 'upstream.depth must be an integer from 1 to 20 (got 21)'],
    ['fractional depth', { upstream: { share: 0.2, depth: 1.5 } }, 'upstream.depth'],
    ['negative window', { verificationWindowSeconds: -1 }, 'verificationWindowSeconds'],
    ['fractional window', { verificationWindowSeconds: 1.5 }, 'verificationWindowSeconds'],
    ['validUntil before validFrom', { validUntil: '2024-01-01T00:00:00.000Z' }, 'validUntil (2024-01-01T00:00:00.000Z) must be after validFrom'],
    ['validUntil equal to validFrom', { validUntil: '2025-01-01T00:00:00.000Z' }, 'must be after validFrom'],
    ['unreadable validFrom', { validFrom: 'soon' }, 'validFrom must be an ISO-8601 date-time'],
    ['orchestrator not a party', { orchestratorId: 'boss' }, 'orchestratorId boss must be a party with the role orchestrator'],
    ['orchestrator without the role', { parties: [{ participantId: 'orch', roles: ['data-provider'] }] }, 'orchestratorId orch must be a party'],
    ['a party listed twice', { parties: [ORCH, ORCH] }, 'parties lists orch more than once'],
    ['a party without roles', { parties: [ORCH, { participantId: 'p', roles: [] }] }, 'p has no role'],
    ['a negative pool weight', { rewardPool: { numPoints: 1, weights: [{ participantId: 'orch', weight: -1 }, { participantId: 'prov', weight: 1 }] } }, 'rewardPool.weights[0].weight must not be negative'],
    ['zero pool weights', { rewardPool: { numPoints: 1, weights: [{ participantId: 'orch', weight: 0 }] } }, 'rewardPool.weights must have a positive sum'],
    ['a weighted non-party', { rewardPool: { numPoints: 1, weights: [{ participantId: 'nobody', weight: 1 }] } }, 'names nobody, who is not a party'],
    ['a participant weighted twice', { rewardPool: { numPoints: 1, weights: [{ participantId: 'orch', weight: 1 }, { participantId: 'orch', weight: 1 }] } }, 'rewardPool.weights lists orch more than once'],
    ['an unrepresentable pool', { rewardPool: { numPoints: 1e-20, weights: [{ participantId: 'orch', weight: 1 }] } }, 'rewardPool.numPoints must have at most 18 decimals'],
  ])('reports %s', (_case, overrides, message) => {
    const problems = validateContractTerms(makeContract(overrides));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('lists every problem, each with the path of its field', () => {
    const problems = findContractProblems(
      makeContract({
        incentiveForDataProvider: { numPoints: -1, factor: 1.5, factorCheck: false },
        upstream: { share: 2, depth: 0 },
        verificationWindowSeconds: -5,
        orchestratorId: 'boss',
      }),
    );
    expect(problems.map((p) => p.path)).toEqual([
      ['incentiveForDataProvider', 'numPoints'],
      ['incentiveForDataProvider', 'factor'],
      ['upstream', 'share'],
      ['upstream', 'depth'],
      ['verificationWindowSeconds'],
      ['orchestratorId'],
    ]);
  });
});
