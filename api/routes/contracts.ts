import { createRoute, z } from '@hono/zod-openapi';
import { contractInputSchema } from '../../domain/schemas';
import { auditedChange } from '../audit-trail';
import { authorize, contractObject, newContractObject, notFound } from '../authorize';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';

const contractSchema = contractInputSchema.openapi('UseCaseContract');

export const contractIdParams = z.object({ id: z.string().min(1).max(256).openapi({ param: { name: 'id', in: 'path' } }) });

const registerRoute = createRoute({
  method: 'post',
  path: '/v1/contracts',
  tags: ['contracts'],
  summary: 'Register a use-case contract (operator, or its orchestrator)',
  description: `Idempotent by id: 201 when created, 200 when the same contract is sent again, 409 CONFLICT when a contract with this id and other content exists. ${UNKNOWN_FIELDS_NOTE}`,
  security: authenticated,
  request: { body: jsonBody(contractSchema, 'The contract') },
  responses: {
    201: json(contractSchema, 'Registered'),
    200: json(contractSchema, 'Already registered with this content'),
    ...problems(...BODY_PROBLEMS, 403, 409),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/v1/contracts/{id}',
  tags: ['contracts'],
  summary: 'A use-case contract (operator or a party of it)',
  description: 'A key of a participant that is not a party gets 404, as for a contract that does not exist.',
  security: authenticated,
  request: { params: contractIdParams },
  responses: { 200: json(contractSchema, 'The contract'), ...problems(400, 404) },
});

export function contractRoutes({ store }: ApiDeps): ApiRouter {
  const app = createRouter();

  app.openapi(registerRoute, async (c) => {
    const input = c.req.valid('json');
    authorize(c, 'contracts:register', newContractObject(input));
    const { contract, created } = await auditedChange(
      c,
      store,
      () => store.saveContract(input),
      ({ contract, created }) => ({ action: created ? 'contract.register' : 'contract.register-again', object: `contract:${contract.id}`, after: contract }),
    );
    return created ? c.json(contract, 201) : c.json(contract, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const contract = await store.getContract(id);
    if (!contract) throw notFound({ label: `contract ${id}` });
    authorize(c, 'contracts:read', contractObject(contract));
    return c.json(contract, 200);
  });

  return app;
}
