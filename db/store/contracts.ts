import { DvctError } from '../../domain/errors';
import type { UseCaseContract as Contract } from '../../domain/types';
import { UseCaseContract, type UseCaseContractRow } from '../entities/use-case-contract';
import type { Orm } from '../orm';
import { insertOnce, sameJson } from './support';

export interface ContractStore {
  /**
   * Registers a contract. The same id with the same content is a replay (created: false); the same
   * id with other content → DvctError CONFLICT. Instants come back as normalised ISO-8601 (UTC, ms).
   */
  saveContract(c: Contract): Promise<{ contract: Contract; created: boolean }>;
  getContract(id: string): Promise<Contract | null>;
}

export function contractStore(orm: Orm): ContractStore {
  return {
    async saveContract(c) {
      const contract = normalised(c);
      const em = orm.em.fork();
      const inserted = await insertOnce(em, UseCaseContract, {
        ...contract,
        validFrom: new Date(contract.validFrom),
        validUntil: contract.validUntil === null ? null : new Date(contract.validUntil),
        createdAt: new Date(),
      });
      if (inserted) return { contract, created: true };
      const existing = toContract(await em.findOneOrFail(UseCaseContract, { id: c.id }));
      if (!sameJson(existing, contract)) {
        throw new DvctError('CONFLICT', `Use-case contract ${c.id} is registered with other content`, { usecaseContractId: c.id });
      }
      return { contract: existing, created: false };
    },

    async getContract(id) {
      const row = await orm.em.fork().findOne(UseCaseContract, { id });
      return row ? toContract(row) : null;
    },
  };
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
  };
}
