import type { ParticipantRecord } from '../db/records';
import { authorityRolesOf, grantProblems, mayDelegate, type GrantTerms } from '../domain/authority';
import { DvctError } from '../domain/errors';
import type { Principal } from './auth';

/**
 * Autonomous authority without escalation: an organisation manages its own keys and grants, but a
 * key can only hand on what it holds itself. The operator may give any grant the organisation's
 * roles allow.
 */

/** 400 when the terms are not a grant the organisation's roles allow; 403 when the calling key could not give them. */
export function assertMayGive(principal: Principal, organisation: ParticipantRecord, grants: readonly GrantTerms[], path: (i: number) => string, now = new Date()): void {
  const roles = authorityRolesOf(organisation.roles);
  const errors = grants.flatMap((g, i) => grantProblems(g, roles).map((p) => ({ path: `${path(i)}${p.path}`, message: p.message })));
  if (errors.length > 0) {
    throw new DvctError('VALIDATION_FAILED', `Not a grant ${organisation.id} can hold: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
  }
  if (principal.kind === 'operator') return;
  const beyond = grants.findIndex((g) => !mayDelegate(principal.grants, g, now));
  if (beyond >= 0) {
    const g = grants[beyond]!;
    const period = `${g.validFrom.toISOString()} – ${g.validUntil?.toISOString() ?? 'open-ended'}`;
    throw new DvctError(
      'FORBIDDEN',
      `Your key cannot give (${g.role}, ${g.scope}, ${g.permission}, ${period}): a key hands on only what one of its own grants in effect covers — same role and permission, a scope at least as wide, a period at least as long.`,
      { action: 'delegate' },
    );
  }
}

/** What only an unrestricted key (or the operator) may do: anything that acts by the organisation's grants. */
export function assertUnrestricted(principal: Principal, what: string): void {
  if (principal.kind === 'participant' && principal.key.restricted) {
    throw new DvctError('FORBIDDEN', `A restricted key cannot ${what}: that would act by its organisation's grants, which it does not hold.`, { action: 'delegate' });
  }
}

/** Who is giving: the operator or the calling key, for createdBy. */
export function giverOf(principal: Principal): string {
  return principal.kind === 'operator' ? 'operator' : principal.key.keyId;
}
