import { createRoute, z } from '@hono/zod-openapi';
import type { AuditEntryRecord } from '../../db/records';
import { ChainVerifier } from '../../lib/audit-chain';
import { authorize, instanceObject } from '../authorize';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { authenticated, json, problems } from '../openapi';

/**
 * The audit trail, for auditors and the operator (`audit:read`): every state-changing action,
 * filtered and paged, and a verification that recomputes the hash chain and compares its head
 * with the one anchored on chain.
 */

const PAGE = { default: 100, max: 1_000 };
/** Entries read per query while verifying the whole trail. */
const VERIFY_BATCH = 1_000;

const entrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    actor: z.string().openapi({ description: '`operator`, `worker` or the participant id whose key acted' }),
    keyId: z.string().nullable(),
    action: z.string().openapi({ example: 'allocation.revoke' }),
    object: z.string().openapi({ example: 'exchange:ex-3f…' }),
    before: z.unknown(),
    after: z.unknown(),
    workflowId: z.string().nullable(),
    txHash: z.string().nullable(),
    requestId: z.string().nullable(),
    prevHash: z.string(),
    hash: z.string().openapi({ description: 'sha256(canonical JSON of the entry without prevHash and hash, then prevHash), hex' }),
  })
  .openapi('AuditEntry');

const instant = (what: string) => z.iso.datetime({ offset: true }).optional().openapi({ description: what, example: '2026-11-21T10:00:00.000Z' });

const listQuery = z.object({
  actor: z.string().min(1).max(256).optional(),
  action: z.string().min(1).max(256).optional(),
  object: z.string().min(1).max(600).optional(),
  from: instant('Only entries at or after this instant'),
  to: instant('Only entries before this instant'),
  limit: z.coerce.number().int().min(1).max(PAGE.max).default(PAGE.default).openapi({ description: `At most this many, oldest first (default ${PAGE.default}, at most ${PAGE.max})` }),
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().openapi({ description: 'Only entries after this seq: pass the previous page\'s `next`' }),
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/audit',
  tags: ['audit'],
  summary: 'The audit trail, oldest first (audit:read: auditors and the operator)',
  security: authenticated,
  request: { query: listQuery },
  responses: {
    200: json(
      z
        .object({
          entries: z.array(entrySchema),
          hasMore: z.boolean(),
          next: z.number().int().nullable().openapi({ description: 'The `after` of the next page; null when there is none' }),
        })
        .openapi('AuditPage'),
      'The entries',
    ),
    ...problems(400),
  },
});

const linkSchema = z.object({ seq: z.number().int(), hash: z.string() });

const verifyRoute = createRoute({
  method: 'get',
  path: '/v1/audit/verify',
  tags: ['audit'],
  summary: 'Recompute the audit trail\'s hash chain and compare its head with the one anchored on chain (audit:read)',
  description: 'Names the first entry that was edited, deleted or relinked, or the truncation the anchor shows. Reads the whole trail.',
  security: authenticated,
  responses: {
    200: json(
      z
        .object({
          ok: z.boolean(),
          checked: z.number().int(),
          head: linkSchema.nullable(),
          firstBroken: z.object({ seq: z.number().int(), reason: z.enum(['edited', 'missing', 'relinked', 'anchor-mismatch', 'truncated']), detail: z.string() }).nullable(),
          anchor: linkSchema.nullable().openapi({ description: 'The head anchored on chain; null when none is yet, or the chain did not answer' }),
          anchorDetail: z.string(),
        })
        .openapi('AuditVerification'),
      'The verification',
    ),
    ...problems(),
  },
});

function entryView(e: AuditEntryRecord): z.infer<typeof entrySchema> {
  return { ...e, at: e.at.toISOString() };
}

const AUDIT_TRAIL = instanceObject('audit trail');

export function auditRoutes({ store, chain, log }: ApiDeps): ApiRouter {
  const app = createRouter();

  app.openapi(listRoute, async (c) => {
    authorize(c, 'audit:read', AUDIT_TRAIL);
    const { actor, action, object, from, to, limit, after } = c.req.valid('query');
    const filter = {
      ...(actor !== undefined ? { actor } : {}),
      ...(action !== undefined ? { action } : {}),
      ...(object !== undefined ? { object } : {}),
      ...(from ? { from: new Date(from) } : {}),
      ...(to ? { to: new Date(to) } : {}),
      ...(after !== undefined ? { afterSeq: after } : {}),
    };
    const found = await store.listAudit(filter, limit + 1);
    const page = found.slice(0, limit);
    const hasMore = found.length > limit;
    return c.json({ entries: page.map(entryView), hasMore, next: hasMore ? page.at(-1)!.seq : null }, 200);
  });

  app.openapi(verifyRoute, async (c) => {
    authorize(c, 'audit:read', AUDIT_TRAIL);
    let anchor: { seq: number; hash: string } | null = null;
    let anchorDetail: string;
    try {
      const onChain = await chain.auditAnchor();
      anchor = onChain.seq > 0 ? { seq: onChain.seq, hash: onChain.head } : null;
      anchorDetail = anchor ? `the ledger holds entry ${anchor.seq}'s hash` : 'nothing anchored on chain yet';
    } catch (err) {
      log.warn({ requestId: c.get('requestId'), err }, 'audit anchor not read');
      anchorDetail = 'the chain did not answer: the chain of hashes was checked, the anchor was not';
    }
    const verifier = new ChainVerifier(anchor ? [{ seq: anchor.seq, head: anchor.hash }] : []);
    for (let afterSeq = 0; ; ) {
      const batch = await store.listAudit({ afterSeq }, VERIFY_BATCH);
      verifier.feed(batch);
      if (batch.length < VERIFY_BATCH) break;
      afterSeq = batch.at(-1)!.seq;
    }
    return c.json({ ...verifier.result(), anchor, anchorDetail }, 200);
  });

  return app;
}
