import { raw } from '@mikro-orm/core';
import { DvctError } from '../../domain/errors';
import { DEFAULT_REVIEW_POLICY, VALIDATION_RULES, type ValidationRuleId } from '../../domain/incidents';
import type { UseCaseContract as Contract } from '../../domain/types';
import { UseCaseContract, type UseCaseContractRow } from '../entities/use-case-contract';
import type { Orm } from '../orm';
import { insertOnce, sameJson, session, type Em } from './support';

export interface ContractStore {
  /**
   * Registers a contract. The same id with the same content is a replay (created: false); the same
   * id with other content → DvctError CONFLICT. Instants come back as normalised ISO-8601 (UTC, ms).
   *
   * Validation rules are compared as a set that only grows: a replay's rules are merged into the
   * stored ones, so the orchestrator can re-post its contract after adding a rule (or add one by
   * re-posting) and it is still the same contract; a rule is never removed this way.
   */
  saveContract(c: Contract): Promise<{ contract: Contract; created: boolean }>;
  getContract(id: string): Promise<Contract | null>;
  /** Adds a validation rule (the feedback step); adding one it has is a no-op. Unknown contract → NOT_FOUND. */
  addValidationRule(contractId: string, rule: ValidationRuleId): Promise<Contract>;
}

export function contractStore(orm: Orm): ContractStore {
  return {
    async saveContract(c) {
      const contract = normalised(c);
      const em = session(orm);
      const inserted = await insertOnce(em, UseCaseContract, {
        ...contract,
        validFrom: new Date(contract.validFrom),
        validUntil: contract.validUntil === null ? null : new Date(contract.validUntil),
        createdAt: new Date(),
      });
      if (inserted) return { contract, created: true };
      const existing = toContract(await em.findOneOrFail(UseCaseContract, { id: c.id }));
      if (!sameJson(withoutRules(existing), withoutRules(contract))) {
        throw new DvctError('CONFLICT', `Use-case contract ${c.id} is registered with other content`, { usecaseContractId: c.id });
      }
      if (contract.validationRules.every((r) => existing.validationRules.includes(r))) return { contract: existing, created: false };
      return { contract: await mergeRules(orm, c.id, contract.validationRules), created: false };
    },

    async getContract(id) {
      const row = await session(orm).findOne(UseCaseContract, { id });
      return row ? toContract(row) : null;
    },

    addValidationRule: (contractId, rule) => mergeRules(orm, contractId, [rule]),
  };
}

/**
 * Adds `rules` to the contract's set. Read-modify-write under a lock: the transaction's first
 * statement is a no-op write to the row, which takes its row lock on PostgreSQL and the write lock
 * on SQLite, so two concurrent additions both land.
 */
async function mergeRules(orm: Orm, contractId: string, rules: readonly ValidationRuleId[]): Promise<Contract> {
  return session(orm).transactional(async (tx: Em) => {
    const locked = await tx.nativeUpdate(UseCaseContract, { id: contractId }, { validationRules: raw('validation_rules') });
    if (locked === 0) throw new DvctError('NOT_FOUND', `No use-case contract ${contractId}`, { usecaseContractId: contractId });
    const row = await tx.findOneOrFail(UseCaseContract, { id: contractId }, { refresh: true });
    const merged = canonicalRules([...row.validationRules, ...rules]);
    if (merged.length !== row.validationRules.length) {
      await tx.nativeUpdate(UseCaseContract, { id: contractId }, { validationRules: merged });
      row.validationRules = merged;
    }
    return toContract(row);
  });
}

/** Each rule once, in the catalogue's order, so the same set always reads (and compares) the same. */
function canonicalRules(rules: readonly ValidationRuleId[]): ValidationRuleId[] {
  return VALIDATION_RULES.filter((r) => rules.includes(r));
}

function withoutRules(c: Contract): Omit<Contract, 'validationRules'> {
  const { validationRules: _rules, ...rest } = c;
  return rest;
}

/** The contract as it reads back from the database, so a replay compares equal to the original. */
function normalised(c: Contract): Contract {
  return {
    id: c.id,
    title: c.title,
    orchestratorId: c.orchestratorId,
    parties: c.parties,
    validFrom: isoInstant(c.validFrom, 'validFrom'),
    validUntil: c.validUntil === null ? null : isoInstant(c.validUntil, 'validUntil'),
    incentiveForDataProvider: c.incentiveForDataProvider,
    extraIncentiveForAIProvider: c.extraIncentiveForAIProvider ?? null,
    upstream: c.upstream ?? null,
    rewardPool: c.rewardPool ?? null,
    verificationWindowSeconds: c.verificationWindowSeconds,
    review: c.review,
    validationRules: canonicalRules(c.validationRules),
  };
}

function isoInstant(value: string, field: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new DvctError('VALIDATION_FAILED', `${field} must be an ISO-8601 instant (got ${JSON.stringify(value)})`, { field });
  return new Date(time).toISOString();
}

function toContract(row: UseCaseContractRow): Contract {
  return {
    id: row.id,
    title: row.title,
    orchestratorId: row.orchestratorId,
    parties: row.parties,
    validFrom: row.validFrom.toISOString(),
    validUntil: row.validUntil ? row.validUntil.toISOString() : null,
    incentiveForDataProvider: row.incentiveForDataProvider,
    extraIncentiveForAIProvider: row.extraIncentiveForAIProvider ?? null,
    upstream: row.upstream ?? null,
    rewardPool: row.rewardPool ?? null,
    verificationWindowSeconds: row.verificationWindowSeconds,
    // Contracts registered before incidents existed have no policy stored: they get the default.
    review: row.review ?? { ...DEFAULT_REVIEW_POLICY },
    validationRules: canonicalRules(row.validationRules),
  };
}
