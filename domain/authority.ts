/**
 * Authority management: the seeds' four-tuple <role, operation object, operation permission,
 * effective period> as grants, and the one function that decides every request with them.
 *
 * - The operator manages organisations; it may do everything except what only a participant can
 *   do (dispute what it received).
 * - An organisation holds authority roles (from its registration) and grants them to its own keys:
 *   a grant gives one permission, in one role, on the objects its scope selects, for a period.
 * - Tenant isolation comes first: an object is visible to the organisations that are its parties
 *   (and to a role whose reach is the whole instance, like a reviewer's over incidents). An object
 *   outside that answers "not visible" — the API's 404 — whatever grants the caller holds, so a
 *   grant can narrow what a key may do but never widen what an organisation may see.
 *
 * Pure: no I/O, no clock (the caller passes `now`).
 */

export const AUTHORITY_ROLES = ['orchestrator', 'connector', 'reviewer', 'auditor'] as const;
export type AuthorityRole = (typeof AUTHORITY_ROLES)[number];

/** What each permission lets a key do, for the API's documentation and error messages. */
export const PERMISSIONS = {
  'participants:read': 'read its own organisation: the participant record and the balance',
  'notifications:read': 'read its own organisation\'s notification feed',
  'keys:manage': 'create, rotate and revoke its own organisation\'s API keys',
  'grants:manage': 'give and revoke its own organisation\'s grants',
  'contracts:register': 'register a use-case contract it orchestrates',
  'contracts:read': 'read a contract it is a party to',
  'contracts:settle': 'settle the reward pool of a contract it orchestrates',
  'contracts:add-rule': 'add a validation rule to a contract it orchestrates',
  'exchanges:report': 'report an exchange in which it is the consumer',
  'exchanges:read': 'read an exchange it is a party to',
  'exchanges:revoke': 'revoke allocations of an exchange under a contract it orchestrates',
  'exchanges:dispute': 'dispute what it received in an exchange',
  'incidents:read': 'read incidents (of its exchanges; a reviewer: all)',
  'incidents:review': 'decide an incident awaiting review (reviewer)',
  'lineage:read': 'read lineage nodes and walks of its exchanges',
  'audit:read': 'read and verify the audit trail (auditor)',
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

/** Actions no grant can carry: only the operator key does them. */
export const OPERATOR_ACTIONS = ['participants:register', 'participants:manage'] as const;
const OPERATOR_ACTION_TEXT: Record<(typeof OPERATOR_ACTIONS)[number], string> = {
  'participants:register': 'register organisations',
  'participants:manage': 'change, suspend or reinstate organisations',
};
export type Action = Permission | (typeof OPERATOR_ACTIONS)[number];

/** What every role may do to its own organisation: read it, manage its keys and grants. */
const MEMBER_PERMISSIONS = ['participants:read', 'notifications:read', 'keys:manage', 'grants:manage'] as const satisfies readonly Permission[];

/** Role-based access control: the permissions a role can carry. A grant outside this table is refused. */
export const ROLE_PERMISSIONS: Readonly<Record<AuthorityRole, readonly Permission[]>> = {
  orchestrator: [
    ...MEMBER_PERMISSIONS,
    'contracts:register',
    'contracts:read',
    'contracts:settle',
    'contracts:add-rule',
    'exchanges:read',
    'exchanges:revoke',
    'exchanges:dispute',
    'incidents:read',
    'lineage:read',
  ],
  connector: [...MEMBER_PERMISSIONS, 'contracts:read', 'exchanges:report', 'exchanges:read', 'exchanges:dispute', 'incidents:read', 'lineage:read'],
  reviewer: [...MEMBER_PERMISSIONS, 'incidents:read', 'incidents:review'],
  auditor: [...MEMBER_PERMISSIONS, 'audit:read'],
};

/**
 * Roles whose reach is the whole instance for some permissions: a reviewer decides incidents of
 * exchanges it is no party to, an auditor reads the audit trail. Everywhere else a role acts only
 * on objects its organisation is a party to in that role.
 */
export const INSTANCE_REACH: Readonly<Partial<Record<AuthorityRole, readonly Permission[]>>> = {
  reviewer: ['incidents:read', 'incidents:review'],
  auditor: ['audit:read'],
};

/** The operator may do anything but this: disputes come from the participants of an exchange. */
const NOT_FOR_OPERATOR: readonly Action[] = ['exchanges:dispute'];

/** A participant's registration roles (domain/schemas PARTICIPANT_ROLES) as authority roles. */
const REGISTRATION_ROLES: Readonly<Record<string, AuthorityRole>> = {
  orchestrator: 'orchestrator',
  'data-provider': 'connector',
  'data-consumer': 'connector',
  'ai-provider': 'connector',
  reviewer: 'reviewer',
  auditor: 'auditor',
};

export function authorityRolesOf(registrationRoles: readonly string[]): AuthorityRole[] {
  const held = new Set(registrationRoles.flatMap((r) => (REGISTRATION_ROLES[r] ? [REGISTRATION_ROLES[r]] : [])));
  return AUTHORITY_ROLES.filter((r) => held.has(r));
}

/** A contract party role as the role it acts in: the orchestrator orchestrates, everyone else connects. */
export function authorityRoleOfParty(partyRole: string): AuthorityRole {
  return partyRole === 'orchestrator' ? 'orchestrator' : 'connector';
}

// ---- grants ----

/** The objects a grant's scope selects: everything, one contract's, one exchange's, or a participant's. */
export const SCOPE_PATTERN = /^(\*|(contract|exchange|participant):[\x21-\x7e]{1,256})$/;

export interface GrantTerms {
  role: AuthorityRole;
  scope: string;
  permission: Permission;
  validFrom: Date;
  /** Null: open-ended. */
  validUntil: Date | null;
}

export interface Grant extends GrantTerms {
  id: string;
}

export function inEffect(g: Pick<GrantTerms, 'validFrom' | 'validUntil'>, now: Date): boolean {
  return g.validFrom.getTime() <= now.getTime() && (g.validUntil === null || now.getTime() < g.validUntil.getTime());
}

/** What a registration gives an organisation: every permission of each of its roles, everywhere, open-ended. */
export function defaultGrantTerms(roles: readonly AuthorityRole[], validFrom: Date): GrantTerms[] {
  return roles.flatMap((role) => ROLE_PERMISSIONS[role].map((permission) => ({ role, scope: '*', permission, validFrom, validUntil: null })));
}

/** Why these terms cannot be a grant of an organisation holding `roles`; empty when they can. */
export function grantProblems(terms: GrantTerms, roles: readonly AuthorityRole[]): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!roles.includes(terms.role)) {
    problems.push({ path: 'role', message: `the organisation does not hold the role ${terms.role} (it holds: ${roles.join(', ') || 'none'}); the operator decides its roles` });
  } else if (!ROLE_PERMISSIONS[terms.role].includes(terms.permission)) {
    problems.push({ path: 'permission', message: `the role ${terms.role} cannot carry ${terms.permission} (it carries: ${ROLE_PERMISSIONS[terms.role].join(', ')})` });
  }
  if (!SCOPE_PATTERN.test(terms.scope)) problems.push({ path: 'scope', message: 'must be *, contract:<id>, exchange:<id> or participant:<id>' });
  if (terms.validUntil !== null && terms.validUntil.getTime() <= terms.validFrom.getTime()) {
    problems.push({ path: 'validUntil', message: 'must be later than validFrom' });
  }
  return problems;
}

/**
 * Delegation never widens: a key may give a grant only when one of its own grants in effect
 * carries the same role and permission, on a scope that covers the new one, for a period that
 * contains the new one. So a key limited to one contract or to this week cannot mint itself more.
 */
export function mayDelegate(own: readonly Grant[], terms: GrantTerms, now: Date): boolean {
  return own.some(
    (g) =>
      g.role === terms.role &&
      g.permission === terms.permission &&
      inEffect(g, now) &&
      (g.scope === '*' || g.scope === terms.scope) &&
      terms.validFrom.getTime() >= g.validFrom.getTime() &&
      (g.validUntil === null || (terms.validUntil !== null && terms.validUntil.getTime() <= g.validUntil.getTime())),
  );
}

// ---- the decision ----

export type Principal = { kind: 'operator' } | { kind: 'participant'; participantId: string; roles: readonly AuthorityRole[] };

/** What a request acts on, as far as authority is concerned. */
export interface AuthzObject {
  /** For messages: `exchange ex-1`, `contract uc-1`, `the audit trail`. */
  label: string;
  /** The scope names that select it (`contract:uc-1`, `exchange:ex-1`, `participant:org-p1`); `*` selects everything. */
  scopes: readonly string[];
  /** The organisations that are its parties, each with the roles it acts in on this object. */
  parties: Readonly<Record<string, readonly AuthorityRole[]>>;
  /**
   * Nothing to hide, so it is never "not visible": what the request creates, or an instance-wide
   * thing everybody knows exists (the audit trail). Refusals are then 403s with their reason.
   */
  open?: boolean;
}

export type Decision = { outcome: 'allow'; by: 'operator' | Grant } | { outcome: 'deny'; reason: string } | { outcome: 'not-visible' };

function scopeSelects(scope: string, object: AuthzObject): boolean {
  return scope === '*' || object.scopes.includes(scope);
}

function describe(g: GrantTerms & { id?: string }): string {
  return `${g.id ? `grant ${g.id} ` : ''}(${g.role}, ${g.scope}, ${g.permission})`;
}

function outsidePeriod(g: Grant, now: Date): string {
  const when =
    g.validFrom.getTime() > now.getTime()
      ? `it takes effect at ${g.validFrom.toISOString()}`
      : `it ended at ${g.validUntil!.toISOString()}`;
  return `Your ${describe(g)} is outside its effective period: ${when} (now ${now.toISOString()}).`;
}

/**
 * Decides one request: allow, deny with the reason (the API's 403), or not visible (404).
 * `grants` are those of the calling key (its own, plus its organisation's unless the key is
 * restricted), revoked ones already left out; periods are checked here against `now`.
 */
export function decide(principal: Principal, grants: readonly Grant[], action: Action, object: AuthzObject, now: Date): Decision {
  if (principal.kind === 'operator') {
    if (NOT_FOR_OPERATOR.includes(action)) return { outcome: 'deny', reason: `The operator key may not ${PERMISSIONS[action as Permission]}: only a participant can.` };
    return { outcome: 'allow', by: 'operator' };
  }
  const me = principal.participantId;
  const actsAs = object.parties[me] ?? [];
  if ((OPERATOR_ACTIONS as readonly Action[]).includes(action)) {
    return object.open || actsAs.length > 0 ? { outcome: 'deny', reason: `Only the operator key may ${OPERATOR_ACTION_TEXT[action as (typeof OPERATOR_ACTIONS)[number]]}.` } : { outcome: 'not-visible' };
  }
  const permission = action as Permission;
  const widely = (role: AuthorityRole) => INSTANCE_REACH[role]?.includes(permission) ?? false;
  // Grants that would let this key act here, whatever their period: right permission and scope,
  // a role the organisation still holds and that carries the permission, acting in it on the object.
  const applicable = grants.filter(
    (g) =>
      g.permission === permission &&
      scopeSelects(g.scope, object) &&
      principal.roles.includes(g.role) &&
      ROLE_PERMISSIONS[g.role].includes(permission) &&
      (actsAs.includes(g.role) || widely(g.role)),
  );
  const visible = object.open === true || actsAs.length > 0 || applicable.some((g) => widely(g.role));
  if (!visible) return { outcome: 'not-visible' };

  const effective = applicable.find((g) => inEffect(g, now));
  if (effective) return { outcome: 'allow', by: effective };
  if (applicable.length > 0) {
    // The one closest to being in effect says most about what to do.
    const nearest = [...applicable].sort((a, b) => distance(a, now) - distance(b, now))[0]!;
    return { outcome: 'deny', reason: outsidePeriod(nearest, now) };
  }
  return { outcome: 'deny', reason: missingGrant(principal, permission, object, actsAs) };
}

function distance(g: Grant, now: Date): number {
  const t = now.getTime();
  return g.validFrom.getTime() > t ? g.validFrom.getTime() - t : t - (g.validUntil?.getTime() ?? t);
}

function missingGrant(principal: Extract<Principal, { kind: 'participant' }>, permission: Permission, object: AuthzObject, actsAs: readonly AuthorityRole[]): string {
  const carriers = AUTHORITY_ROLES.filter((r) => ROLE_PERMISSIONS[r].includes(permission));
  const usable = carriers.filter((r) => actsAs.includes(r) || (INSTANCE_REACH[r]?.includes(permission) ?? false));
  const what = `${permission} (${PERMISSIONS[permission]}) on ${object.label}`;
  if (usable.length === 0) {
    const acting = actsAs.length > 0 ? `${principal.participantId} acts on it as ${actsAs.join(' and ')}` : `${principal.participantId} is not a party to it`;
    return `${what} needs the role ${carriers.join(' or ')} on it; ${acting}.`;
  }
  const held = usable.filter((r) => principal.roles.includes(r));
  if (held.length === 0) return `${what} needs the role ${usable.join(' or ')}, which ${principal.participantId} does not hold; the operator decides an organisation's roles.`;
  const scopes = ['*', ...object.scopes].join(' | ');
  return `No grant of this key gives ${what}: it needs a grant (${held.join(' | ')}, ${scopes}, ${permission}) in effect.`;
}
