import { createRoute, z } from '@hono/zod-openapi';
import { DvctError } from '../../domain/errors';
import { contractInputSchema } from '../../domain/schemas';
import type { UseCaseContract } from '../../domain/types';
import { actorId, forbidden, isOperator, type Principal } from '../auth';
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

export function isPartyOf(principal: Principal, contract: UseCaseContract): boolean {
  const id = actorId(principal);
  return isOperator(principal) || contract.orchestratorId === id || contract.parties.some((p) => p.participantId === id);
}

export function contractRoutes({ store }: ApiDeps): ApiRouter {
  const app = createRouter();

  app.openapi(registerRoute, async (c) => {
    const principal = c.get('principal');
    const input = c.req.valid('json');
    if (!isOperator(principal)) {
      const { participant } = principal;
      if (!participant.roles.includes('orchestrator') || participant.id !== input.orchestratorId) {
        throw forbidden('Only the operator or the contract\'s own orchestrator may register it.');
      }
    }
    const { contract, created } = await store.saveContract(input);
    return created ? c.json(contract, 201) : c.json(contract, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const contract = await store.getContract(id);
    if (!contract || !isPartyOf(c.get('principal'), contract)) throw new DvctError('NOT_FOUND', `There is no contract ${id}.`);
    return c.json(contract, 200);
  });

  return app;
}
