import { requestId } from 'hono/request-id';
import { auditTrail } from './audit-trail';
import { loadDirectory } from '../config/directory';
import { authenticate } from './auth';
import { authenticatePeer } from './peer-auth';
import { createRouter, type ApiDeps, type ApiRouter } from './context';
import { mountDocs } from './docs';
import { createErrorHandler, notFound } from './errors';
import { limitBody, requireJsonBody } from './json-body';
import { allowedMethodsOf, methodNotAllowed, type AllowedMethods } from './method-not-allowed';
import { mountPages } from './pages';
import { refuseControlCharacters } from './printable-params';
import { rateLimit } from './rate-limit';
import { BEARER_AUTH, PEER_SIGNATURE } from './openapi';
import { requestLog } from './request-log';
import { auditRoutes } from './routes/audit';
import { contractRoutes } from './routes/contracts';
import { directoryRoutes } from './routes/directory';
import { disputeRoutes } from './routes/disputes';
import { exchangeRoutes } from './routes/exchanges';
import { grantRoutes } from './routes/grants';
import { healthRoutes } from './routes/health';
import { incidentRoutes } from './routes/incidents';
import { keyRoutes } from './routes/keys';
import { meRoutes } from './routes/me';
import { nodeRoutes } from './routes/nodes';
import { openLineageRoutes } from './routes/openlineage';
import { participantRoutes } from './routes/participants';
import { peerRoutes } from './routes/peer';
import { peerExchangeRoutes } from './routes/peer-exchanges';
import { peerLineageRoutes } from './routes/peer-lineage';
import { verificationRoutes } from './routes/verification';
import { reportRoutes } from './routes/reports';
import { reviewRoutes } from './routes/reviews';
import { revocationRoutes } from './routes/revocations';
import { settlementRoutes } from './routes/settlements';
import { validationRuleRoutes } from './routes/validation-rules';

/**
 * The HTTP API. The whole request pipeline is composed here, in order:
 *   request id → access log → 405 for a method the path does not take → (/v1 only) API key, or for /v1/peer/* a peer
 *   instance's signature → rate limit → no control characters in path or query → body limit → JSON body → audit trail
 *   → route (zod validation → authorization → handler)
 * and every failure on the way is answered by the one problem+json error handler.
 */
export function createApp(given: ApiDeps): ApiRouter {
  const deps = { ...given, directory: given.directory ?? loadDirectory(given.config, undefined) };
  const { config, store, log, directory } = deps;
  const app = createRouter();
  const byKey = authenticate(config, store);
  const byPeer = authenticatePeer(directory);

  app.use(requestId({ headerName: 'x-request-id' }));
  app.use(requestLog(log));
  // The route table is complete once every route below is added; the middleware reads it then.
  let allowed: AllowedMethods = () => null;
  app.use(methodNotAllowed(() => allowed));
  app.use('/v1/*', (c, next) => (c.req.path.startsWith('/v1/peer/') ? byPeer(c, next) : byKey(c, next)));
  app.use('/v1/*', rateLimit(config.rateLimit));
  app.use('/v1/*', refuseControlCharacters);
  app.use('/v1/*', limitBody);
  app.use('/v1/*', requireJsonBody);
  app.use('/v1/*', auditTrail(store, log));

  app.route('/', healthRoutes(deps));
  app.route('/', participantRoutes(deps));
  app.route('/', keyRoutes(deps));
  app.route('/', grantRoutes(deps));
  app.route('/', meRoutes());
  app.route('/', reportRoutes(deps));
  app.route('/', contractRoutes(deps));
  app.route('/', settlementRoutes(deps));
  app.route('/', validationRuleRoutes(deps));
  app.route('/', exchangeRoutes(deps));
  app.route('/', revocationRoutes(deps));
  app.route('/', disputeRoutes(deps));
  app.route('/', reviewRoutes(deps));
  app.route('/', incidentRoutes(deps));
  app.route('/', nodeRoutes(deps));
  app.route('/', auditRoutes(deps));
  app.route('/', openLineageRoutes(deps));
  app.route('/', directoryRoutes(deps));
  app.route('/', peerRoutes(deps));
  app.route('/', peerLineageRoutes(deps));
  app.route('/', peerExchangeRoutes(deps));
  app.route('/', verificationRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_AUTH, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key `dvct_<keyId>_<secret>` (participants) or the operator key.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', PEER_SIGNATURE, {
    type: 'apiKey',
    in: 'header',
    name: 'x-dvct-signature',
    description: 'Instance to instance: the sending DVCT instance\'s signer over the request, with `x-dvct-instance` and `x-dvct-timestamp` (README, *Several instances*).',
  });
  // Built on first request (the routes are fixed by then) and kept: the document never changes.
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get('/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'DVCT — Data Value Chain Tracker',
        version: '1.0.0',
        description:
          'Report data exchanges, read lineage and incentive points. Every error is RFC 9457 problem+json (`application/problem+json`) with a `code` from the DVCT error catalogue.',
      },
      servers: [{ url: config.api.publicUrl }],
    });
    return c.json(document);
  });
  mountDocs(app);
  mountPages(app);

  allowed = allowedMethodsOf(app.routes);
  app.notFound(notFound);
  app.onError(createErrorHandler(log));
  return app;
}
