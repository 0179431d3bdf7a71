import { createRoute, z } from '@hono/zod-openapi';
import { OPERATOR_KEY_SETTING } from '../auth';
import type { ComponentHealth } from '../chain-reader';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { json } from '../openapi';
import { withTimeout } from '../timeout';

/** Each check gets this long; they run in parallel, so the whole answer takes about as long as the slowest. */
const CHECK_TIMEOUT_MS = 2_000;

const componentSchema = z.object({ ok: z.boolean(), detail: z.string() });
const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    components: z.object({ temporal: componentSchema, database: componentSchema, chain: componentSchema }),
  })
  .openapi('Health');

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Whether Temporal, the database and the chain answer (no key needed)',
  description: 'A report, not an error: 503 carries the same body as 200, so a load balancer and a person read the same thing.',
  security: [],
  responses: { 200: json(healthSchema, 'Every component answers'), 503: json(healthSchema, 'At least one component does not answer') },
});

async function check(probe: () => Promise<ComponentHealth>, what: string): Promise<ComponentHealth> {
  try {
    return await withTimeout(probe(), CHECK_TIMEOUT_MS, what);
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

export function healthRoutes({ store, workflows, chain, config, dbHealth }: ApiDeps): ApiRouter {
  const app = createRouter();

  // A read of a real table: proves the connection and that the schema is there.
  const database =
    dbHealth ??
    (async (): Promise<ComponentHealth> => {
      await store.getSetting(OPERATOR_KEY_SETTING);
      return { ok: true, detail: config.database.kind };
    });

  app.openapi(healthRoute, async (c) => {
    const [temporal, db, chainHealth] = await Promise.all([
      check(() => workflows.health(), 'Temporal'),
      check(database, 'The database'),
      check(() => chain.health(), 'The chain'),
    ]);
    const components = { temporal, database: db, chain: chainHealth };
    const ok = temporal.ok && db.ok && chainHealth.ok;
    return ok ? c.json({ status: 'ok' as const, components }, 200) : c.json({ status: 'degraded' as const, components }, 503);
  });

  return app;
}
