import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUTHORITY_ROLES,
  INSTANCE_REACH,
  PERMISSION_NAMES,
  ROLE_PERMISSIONS,
  authorityRolesOf,
  decide,
  defaultGrantTerms,
  grantProblems,
  inEffect,
  mayDelegate,
  type AuthorityRole,
  type AuthzObject,
  type Grant,
  type Permission,
  type Principal,
} from '../../domain/authority';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const HOUR = 3_600_000;
const at = (offsetHours: number) => new Date(NOW.getTime() + offsetHours * HOUR);

const exchange: AuthzObject = {
  label: 'exchange ex-1',
  scopes: ['exchange:ex-1', 'contract:uc-1', 'participant:org-c1', 'participant:org-p1', 'participant:org-o'],
  parties: { 'org-c1': ['connector'], 'org-p1': ['connector'], 'org-o': ['orchestrator'] },
};

function participant(id: string, roles: AuthorityRole[]): Principal {
  return { kind: 'participant', participantId: id, roles };
}

let ids = 0;
function grant(role: AuthorityRole, permission: Permission, over: Partial<Grant> = {}): Grant {
  return { id: `g${++ids}`, role, scope: '*', permission, validFrom: at(-1), validUntil: null, ...over };
}

describe('decide', () => {
  it('lets a party act in a role it holds, with a grant in effect', () => {
    const c1 = participant('org-c1', ['connector']);
    expect(decide(c1, [grant('connector', 'exchanges:read')], 'exchanges:read', exchange, NOW)).toMatchObject({ outcome: 'allow' });
  });

  it('hides an object from an organisation that is not its party, whatever it holds', () => {
    const x = participant('org-x', ['connector', 'orchestrator']);
    const all = [...defaultGrantTerms(['connector', 'orchestrator'], at(-1)).map((t, i) => ({ ...t, id: `d${i}` }))];
    for (const action of PERMISSION_NAMES) {
      const d = decide(x, all, action, exchange, NOW);
      expect(d.outcome, action).toBe('not-visible');
    }
  });

  it('refuses a grant outside its period with a 403 reason that says so, both before and after', () => {
    const c1 = participant('org-c1', ['connector']);
    const ended = decide(c1, [grant('connector', 'exchanges:read', { validFrom: at(-5), validUntil: at(-1) })], 'exchanges:read', exchange, NOW);
    expect(ended).toEqual({ outcome: 'deny', reason: expect.stringMatching(/outside its effective period: it ended at 2026-11-21T11:00:00.000Z/) });
    const early = decide(c1, [grant('connector', 'exchanges:read', { validFrom: at(2) })], 'exchanges:read', exchange, NOW);
    expect(early).toEqual({ outcome: 'deny', reason: expect.stringMatching(/takes effect at 2026-11-21T14:00:00.000Z/) });
  });

  it('names the missing role when the party acts in another one', () => {
    const c1 = participant('org-c1', ['connector']);
    const d = decide(c1, [grant('connector', 'exchanges:read')], 'exchanges:revoke', exchange, NOW);
    expect(d).toEqual({ outcome: 'deny', reason: expect.stringMatching(/needs the role orchestrator on it; org-c1 acts on it as connector/) });
  });

  it('names the missing grant when the role fits but no grant gives the permission', () => {
    const o = participant('org-o', ['orchestrator']);
    const d = decide(o, [grant('orchestrator', 'exchanges:read')], 'exchanges:revoke', exchange, NOW);
    expect(d).toEqual({ outcome: 'deny', reason: expect.stringMatching(/No grant of this key gives exchanges:revoke .*\(orchestrator, \* \| exchange:ex-1/) });
  });

  it('honours the grant\'s scope: another contract\'s grant does not reach this exchange', () => {
    const c1 = participant('org-c1', ['connector']);
    expect(decide(c1, [grant('connector', 'exchanges:read', { scope: 'contract:uc-2' })], 'exchanges:read', exchange, NOW).outcome).toBe('deny');
    expect(decide(c1, [grant('connector', 'exchanges:read', { scope: 'contract:uc-1' })], 'exchanges:read', exchange, NOW).outcome).toBe('allow');
    expect(decide(c1, [grant('connector', 'exchanges:read', { scope: 'exchange:ex-1' })], 'exchanges:read', exchange, NOW).outcome).toBe('allow');
  });

  it('ignores grants of a role the organisation no longer holds', () => {
    const c1 = participant('org-c1', []);
    expect(decide(c1, [grant('connector', 'exchanges:read')], 'exchanges:read', exchange, NOW)).toMatchObject({ outcome: 'deny' });
  });

  it('gives a reviewer every incident and an auditor the audit trail, by instance-wide reach', () => {
    const rev = participant('org-rev', ['reviewer']);
    expect(decide(rev, [grant('reviewer', 'incidents:review')], 'incidents:review', exchange, NOW).outcome).toBe('allow');
    // Reach comes from holding the grant: an expired one still shows the object, so the 403 can say why.
    expect(decide(rev, [grant('reviewer', 'incidents:review', { validUntil: at(-0.5) })], 'incidents:review', exchange, NOW).outcome).toBe('deny');
    expect(decide(rev, [], 'incidents:review', exchange, NOW).outcome).toBe('not-visible');
    expect(decide(rev, [grant('reviewer', 'incidents:review')], 'exchanges:read', exchange, NOW).outcome).toBe('not-visible');
    const audit: AuthzObject = { label: 'the audit trail', scopes: [], parties: {} };
    expect(decide(participant('org-aud', ['auditor']), [grant('auditor', 'audit:read')], 'audit:read', audit, NOW).outcome).toBe('allow');
  });

  it('lets the operator do everything but dispute, and no participant register organisations', () => {
    for (const action of PERMISSION_NAMES) {
      expect(decide({ kind: 'operator' }, [], action, exchange, NOW).outcome, action).toBe(action === 'exchanges:dispute' ? 'deny' : 'allow');
    }
    const o = participant('org-o', ['orchestrator']);
    expect(decide(o, [], 'participants:register', { label: 'a new organisation', scopes: [], parties: {}, open: true }, NOW).outcome).toBe('deny');
  });

  it('never hides an open object, and never allows without a grant in effect (property)', () => {
    const roleArb = fc.constantFrom(...AUTHORITY_ROLES);
    const grantArb = fc.record({
      id: fc.uuid(),
      role: roleArb,
      scope: fc.constantFrom('*', 'contract:uc-1', 'contract:uc-2', 'exchange:ex-1', 'participant:org-c1'),
      permission: fc.constantFrom(...PERMISSION_NAMES),
      validFrom: fc.integer({ min: -10, max: 10 }).map(at),
      validUntil: fc.option(fc.integer({ min: -10, max: 20 }).map(at)),
    });
    fc.assert(
      fc.property(
        fc.array(grantArb, { maxLength: 12 }),
        fc.subarray([...AUTHORITY_ROLES]),
        fc.dictionary(fc.constantFrom('org-c1', 'org-p1', 'org-x'), fc.subarray([...AUTHORITY_ROLES]), { maxKeys: 3 }),
        fc.constantFrom(...PERMISSION_NAMES),
        fc.boolean(),
        (grants, roles, parties, action, open) => {
          const object: AuthzObject = { label: 'x', scopes: ['contract:uc-1', 'exchange:ex-1'], parties, open };
          const d = decide(participant('org-c1', roles), grants, action, object, NOW);
          const actsAs = parties['org-c1'] ?? [];
          if (open) expect(d.outcome).not.toBe('not-visible');
          if (d.outcome === 'allow') {
            const by = d.by as Grant;
            expect(inEffect(by, NOW)).toBe(true);
            expect(by.permission).toBe(action);
            expect(roles).toContain(by.role);
            expect(actsAs.includes(by.role) || (INSTANCE_REACH[by.role]?.includes(action) ?? false)).toBe(true);
          }
          // Without a party role and without instance-wide reach nothing is visible, grants or not.
          const reach = grants.some((g) => g.permission === action && roles.includes(g.role) && (INSTANCE_REACH[g.role]?.includes(action) ?? false));
          if (!open && actsAs.length === 0 && !reach) expect(d.outcome).toBe('not-visible');
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('grants', () => {
  it('come by default from the registration roles: every permission of each role, everywhere, open-ended', () => {
    const roles = authorityRolesOf(['data-provider', 'data-consumer', 'orchestrator']);
    expect(roles).toEqual(['orchestrator', 'connector']);
    const terms = defaultGrantTerms(roles, at(0));
    expect(terms).toHaveLength(ROLE_PERMISSIONS.orchestrator.length + ROLE_PERMISSIONS.connector.length);
    for (const t of terms) expect(grantProblems(t, roles)).toEqual([]);
    expect(terms.every((t) => t.scope === '*' && t.validUntil === null)).toBe(true);
  });

  it('are refused outside the organisation\'s roles, the role\'s permissions, a valid scope or a valid period', () => {
    const base = { role: 'connector' as const, scope: '*', permission: 'exchanges:read' as const, validFrom: at(0), validUntil: null };
    expect(grantProblems({ ...base, role: 'reviewer' }, ['connector']).map((p) => p.path)).toEqual(['role']);
    expect(grantProblems({ ...base, permission: 'exchanges:revoke' }, ['connector']).map((p) => p.path)).toEqual(['permission']);
    expect(grantProblems({ ...base, scope: 'everything' }, ['connector']).map((p) => p.path)).toEqual(['scope']);
    expect(grantProblems({ ...base, validUntil: at(0) }, ['connector']).map((p) => p.path)).toEqual(['validUntil']);
  });

  it('can only be delegated within what the delegating key holds now: role, permission, scope and period', () => {
    const own = [grant('connector', 'exchanges:read', { scope: 'contract:uc-1', validFrom: at(-1), validUntil: at(24) })];
    const ok = { role: 'connector' as const, scope: 'contract:uc-1', permission: 'exchanges:read' as const, validFrom: at(0), validUntil: at(12) };
    expect(mayDelegate(own, ok, NOW)).toBe(true);
    expect(mayDelegate(own, { ...ok, scope: '*' }, NOW)).toBe(false);
    expect(mayDelegate(own, { ...ok, validUntil: null }, NOW)).toBe(false);
    expect(mayDelegate(own, { ...ok, validUntil: at(25) }, NOW)).toBe(false);
    expect(mayDelegate(own, { ...ok, validFrom: at(-2) }, NOW)).toBe(false);
    expect(mayDelegate(own, { ...ok, permission: 'exchanges:dispute' }, NOW)).toBe(false);
    expect(mayDelegate(own, ok, at(30))).toBe(false);
  });

  it('delegated never allow what the delegator could not (property)', () => {
    const termsArb = fc.record({
      role: fc.constantFrom(...AUTHORITY_ROLES),
      scope: fc.constantFrom('*', 'contract:uc-1', 'exchange:ex-1'),
      permission: fc.constantFrom(...PERMISSION_NAMES),
      validFrom: fc.integer({ min: -5, max: 5 }).map(at),
      validUntil: fc.option(fc.integer({ min: -5, max: 10 }).map(at)),
    });
    fc.assert(
      fc.property(
        fc.array(termsArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom('*', 'contract:uc-1', 'exchange:ex-1'),
        fc.integer({ min: 0, max: 4 }),
        fc.option(fc.integer({ min: -2, max: 4 })),
        fc.integer({ min: -6, max: 12 }),
        (ownTerms, pick, scope, startShift, endShift, when) => {
          const own = ownTerms.map((t, i) => ({ ...t, id: `own${i}` }));
          // A candidate narrowed from one of the key's grants (or not quite: mayDelegate decides).
          const base = ownTerms[pick % ownTerms.length]!;
          const validFrom = new Date(base.validFrom.getTime() + startShift * HOUR);
          const candidate = { ...base, scope, validFrom, validUntil: endShift === null ? null : new Date(validFrom.getTime() + (endShift + 1) * HOUR) };
          fc.pre(mayDelegate(own, candidate, NOW));
          const me = participant('org-c1', [...AUTHORITY_ROLES]);
          const object = { ...exchange, parties: { 'org-c1': [...AUTHORITY_ROLES] } };
          const t = at(when);
          if (decide(me, [{ ...candidate, id: 'new' }], candidate.permission, object, t).outcome === 'allow') {
            expect(decide(me, own, candidate.permission, object, t).outcome).toBe('allow');
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
