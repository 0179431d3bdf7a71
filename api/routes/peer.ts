import { createRoute, z } from '@hono/zod-openapi';
import { DvctError } from '../../domain/errors';
import { peerPrevRootUpdateSchema } from '../../domain/peer-update';
import { peerRequestIdFor } from '../../lib/ids';
import { recordAction } from '../audit-trail';
import { createRouter, type ApiRouter, type FederatedApiDeps } from '../context';
import { json, jsonBody, problems, signedByPeer, UNKNOWN_FIELDS_NOTE } from '../openapi';
import { startRun } from '../start-run';

const acceptedSchema = z
  .object({
    requestId: z.string(),
    workflowId: z.string().openapi({ description: 'This instance\'s run for the update, `peer-prevroot-<requestId>`' }),
  })
  .openapi('PeerUpdateAccepted');

const prevRootUpdateRoute = createRoute({
  method: 'post',
  path: '/v1/peer/prevroot-updates',
  tags: ['instances'],
  summary: 'A peer instance tells this one that a node homed here has a new child',
  description:
    'Instance to instance, not for API keys: signed by the sending instance\'s signer (headers `x-dvct-instance`, `x-dvct-timestamp`, `x-dvct-signature`; see the README\'s *Several instances*). ' +
    'Accepted once per requestId: the same request again answers the same run. ' +
    UNKNOWN_FIELDS_NOTE,
  security: signedByPeer,
  request: { body: jsonBody(peerPrevRootUpdateSchema, 'The update') },
  responses: { 202: json(acceptedSchema, 'Accepted durably: this instance\'s run will apply it and carry it on up'), ...problems(400, 413, 415, 503) },
});

export function peerRoutes({ workflows, config }: FederatedApiDeps): ApiRouter {
  const app = createRouter();
  app.openapi(prevRootUpdateRoute, async (c) => {
    const update = c.req.valid('json');
    const from = c.get('peer');
    if (update.origin !== from) throw new DvctError('VALIDATION_FAILED', `The update says it comes from ${update.origin} but ${from} signed it`, { errors: [{ path: 'origin', message: 'must be the signing instance' }] });
    if (update.requestId !== peerRequestIdFor(update.exchangeId, update.parent.nodeId, update.child.nodeId)) {
      throw new DvctError('VALIDATION_FAILED', 'requestId is not the one of this exchange, parent and child', { errors: [{ path: 'requestId', message: 'does not match exchangeId, parent and child' }] });
    }
    const run = await startRun(`the prevRoot update ${update.requestId}`, () =>
      workflows.startPeerPrevRoot({
        exchangeId: update.exchangeId,
        childNodeId: update.parent.nodeId,
        prevDataIds: update.prevDataIds,
        maxDepth: config.prevRootMaxDepth,
        peer: update,
        peerRetryMaxIntervalSeconds: config.federation.retryMaxIntervalSeconds,
      }),
    );
    recordAction(c, { action: 'lineage.peer-update', object: `node:${update.parent.nodeId}`, after: { requestId: update.requestId, exchangeId: update.exchangeId, childNodeId: update.child.nodeId }, workflowId: run.workflowId });
    return c.json({ requestId: update.requestId, workflowId: run.workflowId }, 202);
  });
  return app;
}
