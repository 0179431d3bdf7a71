import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { ReviewPolicy, ValidationRuleId } from '../../domain/incidents';
import type { ContractParty, IncentiveTerm, RewardPool, UpstreamShare } from '../../domain/types';

/** A use-case contract in the registry; the nested terms are JSON because they are read and written whole. */
export const UseCaseContract = defineEntity({
  name: 'UseCaseContract',
  tableName: 'use_case_contract',
  properties: {
    id: p.text().primary(),
    title: p.text(),
    orchestratorId: p.text(),
    parties: p.json<ContractParty[]>(),
    validFrom: p.datetime(),
    validUntil: p.datetime().nullable(),
    incentiveForDataProvider: p.json<IncentiveTerm>(),
    extraIncentiveForAIProvider: p.json<IncentiveTerm>().nullable().fieldName('extra_incentive_for_ai_provider'),
    upstream: p.json<UpstreamShare>().nullable(),
    rewardPool: p.json<RewardPool>().nullable(),
    verificationWindowSeconds: p.integer(),
    /** Null only on contracts registered before incidents existed: they read as DEFAULT_REVIEW_POLICY. */
    review: p.json<ReviewPolicy>().nullable(),
    /** Grows only: the orchestrator adds rules after incidents (the feedback step). */
    validationRules: p.json<ValidationRuleId[]>().default('[]'),
    createdAt: p.datetime(),
  },
});

export type UseCaseContractRow = InferEntity<typeof UseCaseContract>;
