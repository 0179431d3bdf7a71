import { createRoute, z } from '@hono/zod-openapi';
import { createRouter, type ApiRouter, type FederatedApiDeps } from '../context';
import { exchangeIdParams } from '../exchange-view';
import { verifyExchangeHere } from '../exchange-verification';
import { authenticated, json, problems } from '../openapi';

const itemSchema = z.object({
  item: z.enum(['record', 'node', 'allocation']),
  id: z.string().openapi({ description: 'The chain subject (record: the exchange, or `<exchangeId>/<incidentId>` for a correction round), the node, or `payer>recipient` (allocation)' }),
  subject: z.string().openapi({ description: 'The chain subject the item checks: the exchange id for its own round, `<exchangeId>/<incidentId>` for an incident\'s correction round' }),
  instanceId: z.string().openapi({ description: 'Whose data the item checks: the instance that ran the exchange, or this one for its own copy of a node' }),
  claimedHash: z.string().optional().openapi({ description: 'Recomputed here from that instance\'s data' }),
  onChainHash: z.string().optional(),
  expected: z.string().optional().openapi({ description: 'Token base units the claimed lines make held on chain (net of revocations)' }),
  onChain: z.string().optional().openapi({ description: 'Token base units the chain holds: allocated less revoked' }),
  match: z.boolean(),
  reason: z.string().optional().openapi({ description: 'Why it does not match; `unreachable: …` when the instance could not be asked' }),
});

const verificationSchema = z
  .object({
    exchangeId: z.string(),
    verified: z.boolean().openapi({ description: 'True when every item matches' }),
    checkedAt: z.string(),
    items: z.array(itemSchema),
  })
  .openapi('ExchangeVerification');

const verificationRoute = createRoute({
  method: 'get',
  path: '/v1/exchanges/{id}/verification',
  tags: ['exchanges'],
  summary: 'Rebuilds an exchange\'s hashes and distribution from the chain and the running instance\'s claim, and says what matches',
  description:
    'Reads the exchange\'s events on chain itself, asks the instance that ran the exchange (this one, or the peer that has it, signed) for exactly the inputs it hashed, ' +
    'recomputes the record hash, every anchored node\'s hash and the amounts per payer and recipient, and compares — for the exchange\'s own round and for each correction round an incident allocated (its own chain subject `<exchangeId>/<incidentId>`, its record hashed over the incident\'s decision and lines). ' +
    'When the exchange ran elsewhere, this instance\'s own copy of each anchored node is compared too: the same data and the same owner as anchored. A peer that cannot be asked is an item `match: false`, never an error. ' +
    'Visible to the operator and the exchange\'s parties; anyone else gets 404.',
  security: authenticated,
  request: { params: exchangeIdParams },
  responses: { 200: json(verificationSchema, 'The items checked'), ...problems(400, 404, 503) },
});

export function verificationRoutes(deps: FederatedApiDeps): ApiRouter {
  const app = createRouter();
  app.openapi(verificationRoute, async (c) => c.json(await verifyExchangeHere(c, c.req.valid('param').id, deps), 200));
  return app;
}
