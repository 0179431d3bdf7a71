import { createRoute } from '@hono/zod-openapi';
import { exchangeClaimSchema } from '../../domain/verification';
import { notFound } from '../authorize';
import { createRouter, type ApiRouter, type FederatedApiDeps } from '../context';
import { localClaim } from '../exchange-claim';
import { exchangeIdParams } from '../exchange-view';
import { json, problems, signedByPeer } from '../openapi';

const claimRoute = createRoute({
  method: 'get',
  path: '/v1/peer/exchanges/{id}/record',
  tags: ['instances'],
  summary: 'A peer instance asks for this instance\'s claim about an exchange it ran, to verify it against the chain',
  description:
    'Instance to instance, not for API keys: signed by the asking instance\'s signer (README, *Several instances*). ' +
    'Exactly the inputs this instance hashed when it anchored the exchange (report, node ids, lines, each anchored node\'s content), with the revoked lines and the wallets. ' +
    'An exchange that did not run here answers 404.',
  security: signedByPeer,
  request: { params: exchangeIdParams },
  responses: { 200: json(exchangeClaimSchema.openapi('ExchangeClaim'), 'This instance\'s claim'), ...problems(400, 404) },
});

export function peerExchangeRoutes(deps: FederatedApiDeps): ApiRouter {
  const app = createRouter();
  app.openapi(claimRoute, async (c) => {
    const { id } = c.req.valid('param');
    const claim = await localClaim(deps, id);
    if (!claim) throw notFound({ label: `exchange ${id} run on ${deps.directory.self}` });
    return c.json(claim, 200);
  });
  return app;
}
