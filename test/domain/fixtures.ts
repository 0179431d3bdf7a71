import { DEFAULT_REVIEW_POLICY } from '../../domain/incidents';
import type { ExchangeReport, UseCaseContract } from '../../domain/types';

/** A valid contract from the design document's example: 5 points to the provider, 10 extra to an AI provider, factor 1. */
export function makeContract(overrides: Partial<UseCaseContract> = {}): UseCaseContract {
  return {
    id: 'uc-1',
    title: 'Skills analytics',
    orchestratorId: 'orch',
    parties: [
      { participantId: 'orch', roles: ['orchestrator'] },
      { participantId: 'prov', roles: ['data-provider'] },
      { participantId: 'cons', roles: ['data-consumer', 'ai-provider'] },
    ],
    validFrom: '2025-01-01T00:00:00.000Z',
    validUntil: '2027-01-01T00:00:00.000Z',
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
    upstream: null,
    rewardPool: null,
    verificationWindowSeconds: 86_400,
    review: DEFAULT_REVIEW_POLICY,
    validationRules: [],
    ...overrides,
  };
}

export function makeReport(overrides: Partial<ExchangeReport> = {}): ExchangeReport {
  return {
    dvctId: 'connector-cons',
    usecaseContractId: 'uc-1',
    contractId: 'c-1',
    dataId: 'data-1',
    dataProviderId: 'prov',
    dataConsumerId: 'cons',
    dataConsumerIsAIProvider: true,
    prevDataIds: [],
    ...overrides,
  };
}

export const E18 = 10n ** 18n;
