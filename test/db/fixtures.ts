import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { Config } from '../../config/config';
import { DEFAULT_REVIEW_POLICY } from '../../domain/incidents';
import type { UseCaseContract } from '../../domain/types';
import type { TestDatabase } from '../support/database';
import type { NewExchange, NewLink, NewNode, NewParticipant } from '../../db/records';

/** Small builders with valid defaults, so each test states only what it is about. */

export function participant(id: string, overrides: Partial<NewParticipant> = {}): NewParticipant {
  return {
    id,
    name: `Organisation ${id}`,
    roles: ['data-provider'],
    walletAddress: '0xAbCdEf0000000000000000000000000000000001',
    webhookUrl: null,
    webhookSecret: `secret-${id}`,
    ...overrides,
  };
}

export function contract(id: string, overrides: Partial<UseCaseContract> = {}): UseCaseContract {
  return {
    id,
    title: `Use case ${id}`,
    orchestratorId: 'orch',
    parties: [
      { participantId: 'orch', roles: ['orchestrator'] },
      { participantId: 'prov', roles: ['data-provider'] },
      { participantId: 'cons', roles: ['data-consumer', 'ai-provider'] },
    ],
    validFrom: '2025-01-01T00:00:00Z',
    validUntil: null,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    extraIncentiveForAIProvider: { numPoints: 2.5, factor: 0.5, factorCheck: true },
    upstream: { share: 0.2, depth: 3 },
    rewardPool: null,
    verificationWindowSeconds: 60,
    review: { ...DEFAULT_REVIEW_POLICY },
    validationRules: [],
    ...overrides,
  };
}

export function exchange(id: string, overrides: Partial<NewExchange> = {}): NewExchange {
  return {
    id,
    kind: 'exchange',
    workflowId: `exchange-${id}`,
    usecaseContractId: 'uc-1',
    consumerId: 'cons',
    providerId: 'prov',
    report: {
      dvctId: 'dvct-local',
      usecaseContractId: 'uc-1',
      contractId: 'c-1',
      dataId: `data-of-${id}`,
      dataProviderId: 'prov',
      dataConsumerId: 'cons',
      dataConsumerIsAIProvider: false,
      prevDataIds: [],
    },
    settlementRound: null,
    requestHash: 'h'.repeat(64),
    idempotencyKey: null,
    ...overrides,
  };
}

export function node(nodeId: string, overrides: Partial<NewNode> = {}): NewNode {
  return {
    nodeId,
    dataId: `data:${nodeId}`,
    kind: 'raw-data',
    ownerId: `owner-of-${nodeId}`,
    placeholder: false,
    dvctId: 'dvct-local',
    usecaseContractId: 'uc-1',
    dataProviderId: `owner-of-${nodeId}`,
    dataConsumerId: 'cons',
    createdByExchangeId: 'ex-1',
    ...overrides,
  };
}

export function link(parentNodeId: string, childNodeId: string, overrides: Partial<NewLink> = {}): NewLink {
  return { parentNodeId, childNodeId, exchangeId: 'ex-1', usecaseContractId: 'uc-1', contractId: 'c-1', ...overrides };
}

/** Ten concurrent calls of the same operation: what every idempotency test runs. */
export function tenTimes<T>(call: () => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: 10 }, call));
}

/** Ten concurrent calls where some are meant to fail. */
export function tenTimesSettled<T>(call: () => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(Array.from({ length: 10 }, call));
}

/** How many rows match: the check behind "called twice → one row". */
export function countRows<T extends object>(db: TestDatabase, entity: EntityName<T>, where: FilterQuery<NoInfer<T>>): Promise<number> {
  return db.orm.em.fork().count(entity, where);
}

/** Audit entries whose request id starts with this are refused by the database once refuseAuditEntries() ran. */
export const REFUSED_AUDIT_REQUEST = 'audit-down-';

/**
 * The audit trail failing, as the database itself would: a trigger that refuses every audit entry
 * of a request id starting with REFUSED_AUDIT_REQUEST, on SQLite or PostgreSQL alike. Other
 * entries go through, so a test chooses which change's entry fails by the request id it sends.
 */
export async function refuseAuditEntries(db: TestDatabase): Promise<void> {
  const connection = db.orm.em.getConnection();
  if (db.config.kind === 'postgresql') {
    await connection.execute(`create or replace function test_refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'the audit trail is unavailable'; end $$`);
    await connection.execute(
      `create trigger test_refuse_audit before insert on audit_entry for each row when (new.request_id like '${REFUSED_AUDIT_REQUEST}%') execute function test_refuse_audit()`,
    );
  } else {
    await connection.execute(
      `create trigger test_refuse_audit before insert on audit_entry when new.request_id like '${REFUSED_AUDIT_REQUEST}%' begin select raise(abort, 'the audit trail is unavailable'); end`,
    );
  }
}

const run = promisify(execFile);

/** test/db/start-process.ts as a process of its own: what two processes sharing one database do. */
export async function startProcess(database: Config['database'], opts: { auditAppends?: number } = {}): Promise<{ created: number; audited: number }> {
  const script = new URL('./start-process.ts', import.meta.url).pathname;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, DVCT_TEST_DB: JSON.stringify(database), DVCT_TEST_AUDIT_APPENDS: String(opts.auditAppends ?? 0), LOG_LEVEL: 'silent' },
  });
  return JSON.parse(stdout) as { created: number; audited: number };
}
