import { createRoute, z } from '@hono/zod-openapi';
import { DvctError } from '../../domain/errors';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { authenticated, json, problems } from '../openapi';
import { authorizedParticipant } from '../participant-access';
import { loadProviderReport, REPORT_MAX_DEPTH } from '../provider-report-source';
import { pointsField, unitsField } from '../views';

const amountSchema = z.object({ points: pointsField, units: unitsField });

const reportQuery = z.object({
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Start of the period (inclusive); open when absent', example: '2026-11-01T00:00:00Z' }),
  to: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'End of the period (exclusive); open when absent', example: '2026-12-01T00:00:00Z' }),
});

const reportSchema = z
  .object({
    participantId: z.string(),
    period: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
    totals: z
      .object({
        earned: amountSchema.openapi({ description: 'pending + released' }),
        pending: amountSchema.openapi({ description: 'Allocated, not released: still revocable' }),
        released: amountSchema,
        revoked: amountSchema,
      })
      .openapi({ description: 'Over the lines allocated to the participant in the period, by their status now' }),
    awardedByReason: z
      .array(amountSchema.extend({ reason: z.enum(['data-provider', 'upstream', 'ai-provider', 'pool']) }))
      .openapi({ description: 'What was awarded before any revocation: as data provider (direct), upstream share (indirect), as AI provider, from a reward pool' }),
    usage: z.object({
      uses: z.number().int(),
      direct: z.number().int().openapi({ description: 'Exchanges that consumed the participant\'s own data' }),
      indirect: z.number().int().openapi({ description: 'Exchanges that consumed data derived from it' }),
      byUseCase: z.array(
        z.object({
          usecaseContractId: z.string(),
          uses: z.number().int(),
          earned: amountSchema,
          byDepth: z.array(z.object({ depth: z.number().int(), uses: z.number().int(), earned: amountSchema })).openapi({ description: 'depth 0: direct' }),
        }),
      ),
    }),
    uses: z
      .array(
        z.object({
          exchangeId: z.string(),
          at: z.string().openapi({ description: 'When the exchange was reported' }),
          usecaseContractId: z.string(),
          contractId: z.string(),
          consumerId: z.string().nullable(),
          status: z.string(),
          dataId: z.string().openapi({ description: 'The data consumed' }),
          nodeId: z.string(),
          depth: z.number().int().openapi({ description: '0: the participant\'s own data; n: data made from it n links down' }),
          sourceDataId: z.string().openapi({ description: 'The participant\'s data it comes from' }),
          earned: amountSchema,
          revoked: amountSchema,
        }),
      )
      .openapi({ description: 'Newest first' }),
    timeline: z
      .array(z.object({ at: z.string(), earned: amountSchema, released: amountSchema, revoked: amountSchema }))
      .openapi({ description: 'Running totals after each allocation, release and revocation, oldest first' }),
    truncated: z.boolean().openapi({ description: `True when the lineage walk stopped (${REPORT_MAX_DEPTH} levels or 10 000 nodes) before the end` }),
  })
  .openapi('ProviderReport');

const reportRoute = createRoute({
  method: 'get',
  path: '/v1/participants/{id}/report',
  tags: ['participants'],
  summary: 'A provider\'s report: where its data was used, what it earned, points over time (the organisation itself, or the operator)',
  description:
    'Uses are exchanges that consumed the participant\'s data (depth 0) or data derived from it (depth n), by use case and depth. Exchanges are in the period by the time they were reported, allocations by the time they were made; statuses are as they are now. Needs `participants:read` on the organisation (its own keys, or the operator); another organisation\'s id answers 404. The same report as a page: /ui/report.',
  security: authenticated,
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) }), query: reportQuery },
  responses: { 200: json(reportSchema, 'The report'), ...problems(400, 403, 404) },
});

export function reportRoutes({ store }: ApiDeps): ApiRouter {
  const app = createRouter();

  app.openapi(reportRoute, async (c) => {
    const participant = await authorizedParticipant(c, store, 'participants:read', c.req.valid('param').id);
    const { from, to } = c.req.valid('query');
    const period = { ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}) };
    if (period.from && period.to && period.from >= period.to) {
      throw new DvctError('VALIDATION_FAILED', 'The query string is not valid: to must be after from', { errors: [{ path: 'to', message: 'must be after from' }] });
    }
    return c.json(await loadProviderReport(store, participant.id, period), 200);
  });

  return app;
}
