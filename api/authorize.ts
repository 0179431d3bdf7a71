import type { Context } from 'hono';
import type { AllocationRecord, ExchangeRecord, ParticipantRecord } from '../db/records';
import {
  authorityRoleOfParty,
  authorityRolesOf,
  decide,
  type Action,
  type AuthorityRole,
  type AuthzObject,
  type Decision,
  type Principal as AuthorityPrincipal,
} from '../domain/authority';
import { DvctError } from '../domain/errors';
import type { ExchangeReport, UseCaseContract } from '../domain/types';
import type { Actor } from './auth';
import type { AppEnv } from './context';

/**
 * Every route asks here before it acts: the domain's decide() with the caller's key, its grants
 * and the clock. A refusal is a 403 saying which grant is missing or outside its period; an object
 * outside the caller's organisation's scope is a 404, worded exactly as for one that does not exist.
 */

export function authorityPrincipal(p: Actor): AuthorityPrincipal {
  return p.kind === 'operator' ? p : { kind: 'participant', participantId: p.participant.id, roles: authorityRolesOf(p.participant.roles) };
}

export function decision(p: Actor, action: Action, object: AuthzObject, now = new Date()): Decision {
  return decide(authorityPrincipal(p), p.kind === 'operator' ? [] : p.grants, action, object, now);
}

/** True when the caller may do `action` on `object`; for filtering lists. */
export function allowed(p: Actor, action: Action, object: AuthzObject, now = new Date()): boolean {
  return decision(p, action, object, now).outcome === 'allow';
}

/** Throws the API's answer unless the caller may do `action` on `object`. */
export function authorize(c: Context<AppEnv>, action: Action, object: AuthzObject): void {
  const d = decision(c.get('principal'), action, object);
  if (d.outcome === 'not-visible') throw notFound(object);
  if (d.outcome === 'deny') throw new DvctError('FORBIDDEN', d.reason, { action });
}

export function notFound(object: Pick<AuthzObject, 'label'>): DvctError {
  return new DvctError('NOT_FOUND', `There is no ${object.label}.`);
}

// ---- the objects routes act on ----

type Parties = Record<string, AuthorityRole[]>;

function addParty(parties: Parties, id: string | null | undefined, role: AuthorityRole): void {
  if (!id) return;
  const roles = (parties[id] ??= []);
  if (!roles.includes(role)) roles.push(role);
}

function scopesOf(kind: string, id: string, contractId: string | null, parties: Parties): string[] {
  return [`${kind}:${id}`, ...(contractId ? [`contract:${contractId}`] : []), ...Object.keys(parties).map((p) => `participant:${p}`)];
}

/**
 * An exchange (or settlement) and everything hanging off it (its incidents, its lineage links):
 * its provider and consumer, whoever pays or is paid in one of its allocations, connect; the
 * contract's orchestrator orchestrates.
 */
export function exchangeObject(
  exchange: Pick<ExchangeRecord, 'id' | 'usecaseContractId' | 'providerId' | 'consumerId'>,
  allocations: readonly Pick<AllocationRecord, 'payerId' | 'recipientId'>[],
  orchestratorId: string | null,
  label = `exchange ${exchange.id}`,
): AuthzObject {
  const parties: Parties = {};
  addParty(parties, exchange.providerId, 'connector');
  addParty(parties, exchange.consumerId, 'connector');
  for (const a of allocations) {
    addParty(parties, a.payerId, 'connector');
    addParty(parties, a.recipientId, 'connector');
  }
  addParty(parties, orchestratorId, 'orchestrator');
  return { label, scopes: scopesOf('exchange', exchange.id, exchange.usecaseContractId, parties), parties };
}

/** A contract: its orchestrator orchestrates, its other parties connect (a party named as orchestrator orchestrates too). */
export function contractObject(contract: Pick<UseCaseContract, 'id' | 'orchestratorId' | 'parties'>): AuthzObject {
  const parties: Parties = {};
  addParty(parties, contract.orchestratorId, 'orchestrator');
  for (const p of contract.parties) for (const role of p.roles) addParty(parties, p.participantId, authorityRoleOfParty(role));
  return { label: `contract ${contract.id}`, scopes: scopesOf('contract', contract.id, contract.id, parties), parties };
}

/** A contract being registered: only the orchestrator it names may register it. */
export function newContractObject(contract: Pick<UseCaseContract, 'id' | 'orchestratorId'>): AuthzObject {
  const parties: Parties = {};
  addParty(parties, contract.orchestratorId, 'orchestrator');
  return { label: `contract ${contract.id}`, scopes: scopesOf('contract', contract.id, contract.id, parties), parties, open: true };
}

/** A report of a new exchange: the consumer's connector reports it. */
export function newExchangeObject(report: Pick<ExchangeReport, 'usecaseContractId' | 'dataConsumerId'>): AuthzObject {
  const parties: Parties = {};
  addParty(parties, report.dataConsumerId, 'connector');
  return { label: `an exchange of ${report.dataConsumerId}`, scopes: scopesOf('exchange', '(new)', report.usecaseContractId, parties), parties, open: true };
}

/** An organisation itself (its record, balance, feed, keys and grants): it acts on itself in every role it holds. */
export function participantObject(participant: Pick<ParticipantRecord, 'id' | 'roles'>): AuthzObject {
  const parties: Parties = { [participant.id]: authorityRolesOf(participant.roles) };
  return { label: `participant ${participant.id}`, scopes: [`participant:${participant.id}`], parties };
}

/** Instance-wide things nobody is a party to and everybody knows exist: the audit trail, the list of organisations. */
export function instanceObject(label: string): AuthzObject {
  return { label, scopes: [], parties: {}, open: true };
}
