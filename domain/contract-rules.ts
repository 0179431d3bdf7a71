import { amountProblem, factorToPpm, parseDecimal, pointsToUnits } from './amounts';
import type { ErrorCode } from './errors';
import type { ExchangeReport, IncentiveTerm, PartyRole, UseCaseContract } from './types';

/**
 * The rules a use-case contract and an exchange reported under it must follow. Pure: the
 * workflow's verifyContract step and the API's contract registration both apply them, so an
 * exchange is judged the same way wherever it is checked.
 */

export const MAX_UPSTREAM_DEPTH = 20;

export type ContractCheck = { ok: true } | { ok: false; code: ErrorCode; message: string; details?: unknown };

/** One problem with a contract: where (a path into the contract) and what, the message naming the field. */
export interface ContractProblem {
  path: (string | number)[];
  message: string;
}

/** Every problem with the contract's terms; empty when the contract is valid. */
export function validateContractTerms(contract: UseCaseContract): string[] {
  return findContractProblems(contract).map((p) => p.message);
}

export function findContractProblems(contract: UseCaseContract): ContractProblem[] {
  const problems: ContractProblem[] = [];
  const add = (path: (string | number)[], message: string | undefined) => {
    if (message !== undefined) problems.push({ path, message });
  };

  termProblems(contract.incentiveForDataProvider, 'incentiveForDataProvider').forEach((p) => add(p.path, p.message));
  if (contract.extraIncentiveForAIProvider) {
    termProblems(contract.extraIncentiveForAIProvider, 'extraIncentiveForAIProvider').forEach((p) => add(p.path, p.message));
  }

  if (contract.upstream) {
    const { share, depth } = contract.upstream;
    add(
      ['upstream', 'share'],
      amountProblem(() => factorToPpm(share, 'upstream.share')) ??
        (share >= 1 ? `upstream.share must be less than 1, so a holder keeps part of its award (got ${share})` : undefined),
    );
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_UPSTREAM_DEPTH) {
      add(['upstream', 'depth'], `upstream.depth must be an integer from 1 to ${MAX_UPSTREAM_DEPTH} (got ${depth})`);
    }
  }

  const window = contract.verificationWindowSeconds;
  if (!Number.isSafeInteger(window) || window < 0) {
    add(['verificationWindowSeconds'], `verificationWindowSeconds must be a whole number ≥ 0 (got ${window})`);
  }

  const from = Date.parse(contract.validFrom);
  if (Number.isNaN(from)) add(['validFrom'], `validFrom must be an ISO-8601 date-time (got ${JSON.stringify(contract.validFrom)})`);
  if (contract.validUntil !== null) {
    const until = Date.parse(contract.validUntil);
    if (Number.isNaN(until)) {
      add(['validUntil'], `validUntil must be an ISO-8601 date-time or null (got ${JSON.stringify(contract.validUntil)})`);
    } else if (!Number.isNaN(from) && until <= from) {
      add(['validUntil'], `validUntil (${contract.validUntil}) must be after validFrom (${contract.validFrom})`);
    }
  }

  const seen = new Set<string>();
  contract.parties.forEach((party, index) => {
    if (seen.has(party.participantId)) {
      add(['parties', index, 'participantId'], `parties lists ${party.participantId} more than once`);
    }
    seen.add(party.participantId);
    if (party.roles.length === 0) add(['parties', index, 'roles'], `parties: ${party.participantId} has no role`);
  });
  if (!hasRole(contract, contract.orchestratorId, 'orchestrator')) {
    add(['orchestratorId'], `orchestratorId ${contract.orchestratorId} must be a party with the role orchestrator`);
  }

  if (contract.rewardPool) problems.push(...rewardPoolProblems(contract));
  return problems;
}

function termProblems(term: IncentiveTerm, field: string): { path: string[]; message: string | undefined }[] {
  return [
    { path: [field, 'numPoints'], message: amountProblem(() => pointsToUnits(term.numPoints, `${field}.numPoints`)) },
    { path: [field, 'factor'], message: amountProblem(() => factorToPpm(term.factor, `${field}.factor`)) },
    {
      path: [field, 'factorCheck'],
      message: typeof term.factorCheck === 'boolean' ? undefined : `${field}.factorCheck must be true or false`,
    },
  ];
}

function rewardPoolProblems(contract: UseCaseContract): ContractProblem[] {
  const pool = contract.rewardPool;
  if (!pool) return [];
  const problems: ContractProblem[] = [];
  const numPointsProblem = amountProblem(() => pointsToUnits(pool.numPoints, 'rewardPool.numPoints'));
  if (numPointsProblem) problems.push({ path: ['rewardPool', 'numPoints'], message: numPointsProblem });

  let anyPositive = false;
  const weighted = new Set<string>();
  pool.weights.forEach(({ participantId, weight }, index) => {
    const path = ['rewardPool', 'weights', index];
    const weightProblem = amountProblem(() => parseDecimal(weight, `rewardPool.weights[${index}].weight`));
    if (weightProblem) problems.push({ path: [...path, 'weight'], message: weightProblem });
    else if (weight > 0) anyPositive = true;
    if (weighted.has(participantId)) {
      problems.push({ path: [...path, 'participantId'], message: `rewardPool.weights lists ${participantId} more than once` });
    }
    weighted.add(participantId);
    if (!isParty(contract, participantId)) {
      problems.push({
        path: [...path, 'participantId'],
        message: `rewardPool.weights names ${participantId}, who is not a party to the contract`,
      });
    }
  });
  if (!anyPositive) {
    problems.push({ path: ['rewardPool', 'weights'], message: 'rewardPool.weights must have a positive sum' });
  }
  return problems;
}

function isParty(contract: UseCaseContract, participantId: string): boolean {
  return contract.parties.some((p) => p.participantId === participantId);
}

function hasRole(contract: UseCaseContract, participantId: string, role: PartyRole): boolean {
  return contract.parties.some((p) => p.participantId === participantId && p.roles.includes(role));
}

/**
 * Whether an exchange may be processed under the contract at `now`. The first failing rule
 * decides, in this order: contract missing, wrong contract, provider = consumer, invalid terms,
 * not in force, roles, registration, reported terms differing from the contract's.
 */
export function checkExchangeAgainstContract(args: {
  contract: UseCaseContract | null;
  report: ExchangeReport;
  now: Date;
  registeredParticipantIds: Set<string>;
}): ContractCheck {
  const { contract, report, now, registeredParticipantIds } = args;
  if (!contract) {
    return fail('CONTRACT_NOT_FOUND', `Use-case contract ${report.usecaseContractId} is not in the registry`, {
      usecaseContractId: report.usecaseContractId,
    });
  }
  if (report.usecaseContractId !== contract.id) {
    return fail(
      'VALIDATION_FAILED',
      `The report names use-case contract ${report.usecaseContractId} but was checked against ${contract.id}`,
      { reported: report.usecaseContractId, contractId: contract.id },
    );
  }
  if (report.dataProviderId === report.dataConsumerId) {
    return fail('VALIDATION_FAILED', `dataProviderId and dataConsumerId are both ${report.dataProviderId}: an organisation cannot pay itself for its own data`, {
      participantId: report.dataProviderId,
    });
  }

  const problems = validateContractTerms(contract);
  if (problems.length > 0) {
    return fail('INVALID_INCENTIVE_TERMS', `Contract ${contract.id} has invalid terms: ${problems.join('; ')}`, { problems });
  }

  const inForce = inForceProblem(contract, now);
  if (inForce) return inForce;

  const consumerRole: PartyRole = report.dataConsumerIsAIProvider ? 'ai-provider' : 'data-consumer';
  for (const [participantId, role] of [
    [report.dataProviderId, 'data-provider'],
    [report.dataConsumerId, consumerRole],
  ] as const) {
    if (!hasRole(contract, participantId, role)) {
      const held = contract.parties.find((p) => p.participantId === participantId)?.roles ?? [];
      return fail(
        'NOT_A_PARTY',
        held.length === 0
          ? `${participantId} is not a party to contract ${contract.id}; it must be one with the role ${role}`
          : `${participantId} is a party to contract ${contract.id} as ${held.join(', ')}, not as ${role}`,
        { participantId, requiredRole: role, roles: held },
      );
    }
  }

  for (const participantId of [report.dataProviderId, report.dataConsumerId]) {
    if (!registeredParticipantIds.has(participantId)) {
      return fail('UNKNOWN_PARTICIPANT', `${participantId} is not a registered participant`, { participantId });
    }
  }

  return termsMismatch(contract, report) ?? { ok: true };
}

/**
 * An organisation the operator suspended takes part in no new exchange or settlement, in any role
 * (provider, consumer, orchestrator, pool member): the API refuses the report and the run's
 * verification refuses it too, for one accepted just before the suspension.
 */
export function suspendedPartyCheck(parties: readonly { id: string; suspendedAt: Date | null }[]): ContractCheck {
  const suspended = [...new Set(parties.filter((p) => p.suspendedAt !== null).map((p) => p.id))].sort();
  if (suspended.length === 0) return { ok: true };
  return fail('PARTY_SUSPENDED', `Suspended by the operator, so it takes part in no new exchange: ${suspended.join(', ')}`, { suspended });
}

function inForceProblem(contract: UseCaseContract, now: Date): ContractCheck | undefined {
  const at = now.toISOString();
  if (now.getTime() < Date.parse(contract.validFrom)) {
    return fail('CONTRACT_NOT_IN_FORCE', `Contract ${contract.id} is in force from ${contract.validFrom}, not yet at ${at}`, {
      validFrom: contract.validFrom,
      now: at,
    });
  }
  if (contract.validUntil !== null && now.getTime() > Date.parse(contract.validUntil)) {
    return fail('CONTRACT_NOT_IN_FORCE', `Contract ${contract.id} expired at ${contract.validUntil} (now ${at})`, {
      validUntil: contract.validUntil,
      now: at,
    });
  }
  return undefined;
}

const TERM_FIELDS = ['incentiveForDataProvider', 'extraIncentiveForAIProvider'] as const;

/**
 * The connector reports the metrics it measured; the contract bounds them. Always refused: a term
 * the contract does not have, more points than it grants, another factorCheck. A lower numPoints
 * or another factor is accepted and allocated as reported — detection then compares it with the
 * contract and an incident corrects it — unless the contract carries the validation rule
 * 'reported-terms-match-contract' (added after such an incident), which refuses any difference.
 */
function termsMismatch(contract: UseCaseContract, report: ExchangeReport): ContractCheck | undefined {
  const strict = contract.validationRules.includes('reported-terms-match-contract');
  const mismatches: { field: string; reported: unknown; contract: unknown; rule: string }[] = [];
  for (const field of TERM_FIELDS) {
    const reported = report[field];
    if (reported === undefined) continue;
    const signed = contract[field];
    if (!signed) {
      mismatches.push({ field, reported, contract: null, rule: 'the contract has no such term' });
      continue;
    }
    if (reported.numPoints > signed.numPoints) {
      mismatches.push({ field: `${field}.numPoints`, reported: reported.numPoints, contract: signed.numPoints, rule: 'a report cannot grant more points than the contract' });
    } else if (strict && reported.numPoints !== signed.numPoints) {
      mismatches.push({ field: `${field}.numPoints`, reported: reported.numPoints, contract: signed.numPoints, rule: 'reported-terms-match-contract' });
    }
    if (reported.factorCheck !== signed.factorCheck) {
      mismatches.push({ field: `${field}.factorCheck`, reported: reported.factorCheck, contract: signed.factorCheck, rule: 'the contract decides whether the factor is checked' });
    } else if (strict && reported.factor !== signed.factor) {
      mismatches.push({ field: `${field}.factor`, reported: reported.factor, contract: signed.factor, rule: 'reported-terms-match-contract' });
    }
  }
  if (mismatches.length === 0) return undefined;
  const described = mismatches
    .map((m) => `${m.field}: the report says ${JSON.stringify(m.reported)}, the contract says ${JSON.stringify(m.contract)} (${m.rule})`)
    .join('; ');
  return fail('INCENTIVE_TERMS_MISMATCH', `${described}. Send the report with the contract's terms, or without incentive terms`, { mismatches });
}

function fail(code: ErrorCode, message: string, details?: unknown): ContractCheck {
  return { ok: false, code, message, details };
}
