import { randomBytes } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { ParticipantRecord } from '../../db/records';
import { pointsToUnits, toUnits, unitsToPoints } from '../../domain/amounts';
import { authorityRolesOf, defaultGrantTerms, type Permission } from '../../domain/authority';
import { DvctError } from '../../domain/errors';
import { participantChangesSchema, participantInputSchema, suspensionInputSchema } from '../../domain/schemas';
import { issueApiKey } from '../auth';
import { auditedChange } from '../audit-trail';
import { authorize, instanceObject, notFound, participantObject } from '../authorize';
import { grantView } from '../access-views';
import type { Context } from 'hono';
import { createRouter, type ApiDeps, type ApiRouter, type AppEnv } from '../context';
import { authorizedParticipant } from '../participant-access';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { notificationSchema, notificationView, pointsField, unitsField } from '../views';

const participantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    roles: z.array(z.string()),
    walletAddress: z.string(),
    webhookUrl: z.string().nullable(),
    status: z.enum(['active', 'suspended']).openapi({ description: 'suspended: its keys are refused (403 ORGANISATION_SUSPENDED) and it takes part in no new exchange; its grants are kept' }),
    suspendedAt: z.string().nullable(),
    suspensionReason: z.string().nullable(),
  })
  .openapi('Participant');

const registrationSchema = z
  .object({
    participant: participantSchema,
    apiKey: z.string().openapi({ description: 'Shown once: only its hash is kept.' }),
    webhookSecret: z.string().openapi({ description: 'HMAC-SHA256 key of the webhook signatures. Shown once.' }),
    onboarding: z
      .union([
        z.object({ workflowId: z.string(), uiUrl: z.string() }),
        z.object({ error: z.object({ code: z.literal('DEPENDENCY_UNAVAILABLE'), detail: z.string() }) }),
      ])
      .optional()
      .openapi({
        description:
          'Present when initialPoints > 0: the run that mints them to the wallet, or why Temporal did not start it (the participant and its key exist either way).',
      }),
  })
  .openapi('ParticipantRegistration');

const balanceSchema = z
  .object({
    participantId: z.string(),
    walletAddress: z.string(),
    wallet: pointsField,
    walletUnits: unitsField,
    allocated: pointsField.openapi({ description: 'Allocated to this participant and still revocable (not released)' }),
    allocatedUnits: unitsField,
    released: pointsField,
    releasedUnits: unitsField,
    revoked: pointsField,
    revokedUnits: unitsField,
  })
  .openapi('Balance');

const idParams = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) });

const registerRoute = createRoute({
  method: 'post',
  path: '/v1/participants',
  tags: ['participants'],
  summary: 'Register a participant (operator)',
  description: `Creates the participant with a new API key and webhook secret, both shown only in this answer. When initialPoints > 0, an onboarding run mints them to the wallet. ${UNKNOWN_FIELDS_NOTE}`,
  security: authenticated,
  request: { body: jsonBody(participantInputSchema.openapi('ParticipantInput'), 'The participant') },
  responses: { 201: json(registrationSchema, 'Registered'), ...problems(...BODY_PROBLEMS, 403, 409) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/participants/{id}',
  tags: ['participants'],
  summary: 'A participant (operator or the participant itself)',
  security: authenticated,
  request: { params: idParams },
  responses: { 200: json(participantSchema, 'The participant'), ...problems(400, 403, 404) },
});

const balanceRoute = createRoute({
  method: 'get',
  path: '/v1/participants/{id}/balance',
  tags: ['participants'],
  summary: 'Points of a participant: wallet (chain) and allocations (operator or the participant itself)',
  security: authenticated,
  request: { params: idParams },
  responses: { 200: json(balanceSchema, 'The balance'), ...problems(400, 403, 404, 503) },
});

const updateRoute = createRoute({
  method: 'patch',
  path: '/v1/participants/{id}',
  tags: ['participants'],
  summary: 'Change an organisation\'s details or roles (operator)',
  description: `Name, roles and webhook URL (null: none); the id and the wallet stay. A role gained brings the default grants of its authority role (every permission, scope \`*\`, from now); a role lost revokes the organisation's and its keys' grants in that authority role. The audit entry holds the organisation before and after, and the grants given and revoked. ${UNKNOWN_FIELDS_NOTE}`,
  security: authenticated,
  request: { params: idParams, body: jsonBody(participantChangesSchema.openapi('ParticipantChanges'), 'What to change') },
  responses: { 200: json(participantSchema, 'The organisation as it is now'), ...problems(...BODY_PROBLEMS, 403, 404) },
});

const suspendRoute = createRoute({
  method: 'post',
  path: '/v1/participants/{id}/suspend',
  tags: ['participants'],
  summary: 'Suspend an organisation (operator)',
  description: `From now its keys get 403 ORGANISATION_SUSPENDED saying so, and no new exchange or settlement may have it as a party (422 PARTY_SUSPENDED from the API; a run not yet past its contract check is rejected with that code). Its keys and grants are kept for its reinstatement; exchanges already past that check go on. An organisation already suspended answers 409. ${UNKNOWN_FIELDS_NOTE}`,
  security: authenticated,
  request: { params: idParams, body: jsonBody(suspensionInputSchema.openapi('SuspensionInput'), 'Why') },
  responses: { 200: json(participantSchema, 'The organisation, suspended'), ...problems(...BODY_PROBLEMS, 403, 404, 409) },
});

const reinstateRoute = createRoute({
  method: 'post',
  path: '/v1/participants/{id}/reinstate',
  tags: ['participants'],
  summary: 'Reinstate a suspended organisation (operator)',
  description: `Its keys act again by the grants they had. An organisation that is not suspended answers 409. ${UNKNOWN_FIELDS_NOTE}`,
  security: authenticated,
  request: { params: idParams, body: jsonBody(suspensionInputSchema.openapi('SuspensionInput'), 'Why') },
  responses: { 200: json(participantSchema, 'The organisation, active again'), ...problems(...BODY_PROBLEMS, 403, 404, 409) },
});

const FEED_PAGE = { default: 50, max: 200 };

const feedQuery = z.object({
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Only notifications created after this instant (exclusive): pass the newest `createdAt` already seen', example: '2026-11-21T10:00:00.000Z' }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(FEED_PAGE.max)
    .default(FEED_PAGE.default)
    .openapi({ description: `At most this many, newest first (default ${FEED_PAGE.default}, at most ${FEED_PAGE.max})` }),
});

const feedSchema = z
  .object({
    participantId: z.string(),
    notifications: z.array(notificationSchema).openapi({ description: 'Newest first' }),
    hasMore: z.boolean().openapi({ description: 'More notifications match than `limit`: the oldest of them were left out' }),
  })
  .openapi('NotificationFeed');

const feedRoute = createRoute({
  method: 'get',
  path: '/v1/participants/{id}/notifications',
  tags: ['participants'],
  summary: 'A participant\'s notification feed, newest first (operator or the participant itself)',
  description:
    'Everything DVCT told the participant — allocations (`distribution-allocated`), revocations with their reason (`allocation-revoked`) — with the state of each webhook delivery. The same messages its webhook receives, for receivers that were down or have none.',
  security: authenticated,
  request: { params: idParams, query: feedQuery },
  responses: { 200: json(feedSchema, 'The feed'), ...problems(400, 403, 404) },
});

function publicView(p: ParticipantRecord): z.infer<typeof participantSchema> {
  return {
    id: p.id,
    name: p.name,
    roles: p.roles,
    walletAddress: p.walletAddress,
    webhookUrl: p.webhookUrl,
    status: p.suspendedAt ? 'suspended' : 'active',
    suspendedAt: p.suspendedAt?.toISOString() ?? null,
    suspensionReason: p.suspensionReason,
  };
}

/** Why a suspension or reinstatement changed nothing: the organisation is gone (404) or already in that state (409). */
function alreadyIn(participant: ParticipantRecord | null, id: string, state: 'active' | 'suspended'): never {
  if (!participant) throw notFound({ label: `participant ${id}` });
  const since = participant.suspendedAt ? ` since ${participant.suspendedAt.toISOString()} (${participant.suspensionReason ?? 'no reason given'})` : '';
  throw new DvctError('CONFLICT', `Organisation ${id} is already ${state}${since}.`, { participantId: id, status: state });
}

export function participantRoutes({ store, workflows, chain, log }: ApiDeps): ApiRouter {
  const app = createRouter();

  const visibleParticipant = (c: Context<AppEnv>, permission: Permission, id: string) => authorizedParticipant(c, store, permission, id);

  app.openapi(registerRoute, async (c) => {
    authorize(c, 'participants:register', instanceObject('organisations'));
    const input = c.req.valid('json');
    const initialUnits = input.initialPoints === undefined ? 0n : pointsToUnits(input.initialPoints, 'initialPoints');
    const key = issueApiKey();
    const webhookSecret = randomBytes(32).toString('hex');
    // Every organisation starts with every permission of its roles, everywhere, open-ended; it narrows them itself.
    const participant = await auditedChange(
      c,
      store,
      () =>
        store.registerParticipant(
          { id: input.id, name: input.name, roles: input.roles, walletAddress: input.walletAddress, webhookUrl: input.webhookUrl ?? null, webhookSecret },
          { keyId: key.keyId, participantId: input.id, secretHash: key.secretHash, label: 'first key', restricted: false, createdBy: 'operator' },
          defaultGrantTerms(authorityRolesOf(input.roles), new Date()),
        ),
      (participant) => ({ action: 'participant.register', object: `participant:${participant.id}`, after: { ...publicView(participant), keyId: key.keyId } }),
    );
    const body: z.infer<typeof registrationSchema> = { participant: publicView(participant), apiKey: key.key, webhookSecret };
    if (initialUnits > 0n) {
      // The participant exists now and its key cannot be shown again: a failed start must not turn
      // this answer into an error, or the key would be lost.
      try {
        const run = await workflows.startOnboarding({ participantId: participant.id, initialUnits: toUnits(initialUnits) });
        body.onboarding = { workflowId: run.workflowId, uiUrl: run.uiUrl };
      } catch (err) {
        log.error({ requestId: c.get('requestId'), participantId: participant.id, err }, 'onboarding run not started');
        body.onboarding = { error: { code: 'DEPENDENCY_UNAVAILABLE', detail: 'Temporal did not start the onboarding run; the initial points were not minted.' } };
      }
    }
    return c.json(body, 201);
  });

  /** The organisation the operator acts on: another key gets 403 on its own organisation, 404 on any other. */
  async function managed(c: Context<AppEnv>, id: string): Promise<ParticipantRecord> {
    const participant = await store.getParticipant(id);
    if (!participant) throw notFound({ label: `participant ${id}` });
    authorize(c, 'participants:manage', participantObject(participant));
    return participant;
  }

  app.openapi(updateRoute, async (c) => {
    const { id } = c.req.valid('param');
    await managed(c, id);
    const changes = c.req.valid('json');
    const { after } = await auditedChange(
      c,
      store,
      async () => {
        const changed = await store.updateParticipant(id, changes);
        if (!changed) throw notFound({ label: `participant ${id}` });
        // Grants follow the roles: an organisation acts only in the roles it holds.
        const had = authorityRolesOf(changed.before.roles);
        const has = authorityRolesOf(changed.after.roles);
        const gained = has.filter((r) => !had.includes(r));
        const given =
          gained.length > 0
            ? await store.createGrants(defaultGrantTerms(gained, new Date()).map((t) => ({ ...t, participantId: id, keyId: null, createdBy: 'operator' })))
            : [];
        const revoked = await store.revokeGrantsInRoles(id, had.filter((r) => !has.includes(r)));
        return { ...changed, given, revoked };
      },
      ({ before, after, given, revoked }) => ({
        action: 'participant.update',
        object: `participant:${id}`,
        before: publicView(before),
        after: { ...publicView(after), grantsGiven: given.map((g) => grantView(g)), grantsRevoked: revoked.map((g) => grantView(g)) },
      }),
    );
    return c.json(publicView(after), 200);
  });

  /**
   * Suspends (to 'suspended') or reinstates (to 'active') an organisation, with the reason in the
   * audit trail; asking for the state it is already in is a CONFLICT that says since when.
   */
  const setStanding = (to: 'suspended' | 'active') => async (c: Context<AppEnv>, id: string, reason: string) => {
    await managed(c, id);
    const action = to === 'suspended' ? 'participant.suspend' : 'participant.reinstate';
    const { after } = await auditedChange(
      c,
      store,
      async () => {
        const changed =
          to === 'suspended' ? await store.setSuspensionIf(id, 'active', { at: new Date(), reason }) : await store.setSuspensionIf(id, 'suspended', null);
        return changed ?? alreadyIn(await store.getParticipant(id), id, to);
      },
      // A suspension keeps its reason on the organisation; a reinstatement's is only in the trail.
      ({ before, after }) => ({ action, object: `participant:${id}`, before: publicView(before), after: to === 'suspended' ? publicView(after) : { ...publicView(after), reason } }),
    );
    return c.json(publicView(after), 200);
  };
  const suspend = setStanding('suspended');
  const reinstate = setStanding('active');

  app.openapi(suspendRoute, (c) => suspend(c, c.req.valid('param').id, c.req.valid('json').reason));
  app.openapi(reinstateRoute, (c) => reinstate(c, c.req.valid('param').id, c.req.valid('json').reason));

  app.openapi(getRoute, async (c) => {
    const participant = await visibleParticipant(c, 'participants:read', c.req.valid('param').id);
    return c.json(publicView(participant), 200);
  });

  app.openapi(balanceRoute, async (c) => {
    const participant = await visibleParticipant(c, 'participants:read', c.req.valid('param').id);
    const [walletUnits, ledger] = await Promise.all([chain.walletBalance(participant.walletAddress), store.balanceOf(participant.id)]);
    const wallet = toUnits(walletUnits);
    return c.json(
      {
        participantId: participant.id,
        walletAddress: participant.walletAddress,
        wallet: unitsToPoints(wallet),
        walletUnits: wallet,
        allocated: unitsToPoints(ledger.allocated),
        allocatedUnits: ledger.allocated,
        released: unitsToPoints(ledger.released),
        releasedUnits: ledger.released,
        revoked: unitsToPoints(ledger.revoked),
        revokedUnits: ledger.revoked,
      },
      200,
    );
  });

  app.openapi(feedRoute, async (c) => {
    const participant = await visibleParticipant(c, 'notifications:read', c.req.valid('param').id);
    const { since, limit } = c.req.valid('query');
    // One more than asked, to know whether the page is complete.
    const found = await store.notificationFeed(participant.id, { ...(since ? { since: new Date(since) } : {}), limit: limit + 1 });
    return c.json({ participantId: participant.id, notifications: found.slice(0, limit).map(notificationView), hasMore: found.length > limit }, 200);
  });

  return app;
}
