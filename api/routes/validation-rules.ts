import { createRoute } from '@hono/zod-openapi';
import { DvctError } from '../../domain/errors';
import { contractInputSchema, validationRuleInputSchema } from '../../domain/schemas';
import { actorOf } from '../auth';
import { auditedChange } from '../audit-trail';
import { authorize, contractObject, notFound } from '../authorize';
import { createRouter, type ApiDeps, type ApiRouter } from '../context';
import { BODY_PROBLEMS, UNKNOWN_FIELDS_NOTE, authenticated, json, jsonBody, problems } from '../openapi';
import { contractIdParams } from './contracts';

const addRuleRoute = createRoute({
  method: 'post',
  path: '/v1/contracts/{id}/validation-rules',
  tags: ['contracts'],
  summary: 'Add a validation rule to a contract, so the input behind an incident is refused next time (operator or the contract\'s orchestrator)',
  description: [
    'The feedback step: an incident names the rule that would have refused its input (`suggestedValidationRule`); once added, every new report under the contract must pass it at verification.',
    'Idempotent: adding a rule the contract has answers the contract unchanged. Rules are only ever added.',
    '`incidentId`, when given, must be an incident of one of this contract\'s exchanges (404 otherwise).',
    'Other parties get 403; anyone else 404.',
    UNKNOWN_FIELDS_NOTE,
  ].join(' '),
  security: authenticated,
  request: { params: contractIdParams, body: jsonBody(validationRuleInputSchema.openapi('ValidationRuleInput'), 'The rule') },
  responses: { 200: json(contractInputSchema.openapi('UseCaseContract'), 'The contract with the rule'), ...problems(...BODY_PROBLEMS, 403, 404) },
});

export function validationRuleRoutes({ store }: ApiDeps): ApiRouter {
  const app = createRouter();

  app.openapi(addRuleRoute, async (c) => {
    const principal = c.get('principal');
    const { id: contractId } = c.req.valid('param');
    const { rule, incidentId } = c.req.valid('json');

    const contract = await store.getContract(contractId);
    if (!contract) throw notFound({ label: `contract ${contractId}` });
    authorize(c, 'contracts:add-rule', contractObject(contract));
    if (incidentId !== undefined) {
      const incident = await store.getIncident(incidentId);
      const exchange = incident && (await store.getExchange(incident.exchangeId));
      if (exchange?.usecaseContractId !== contractId) throw new DvctError('NOT_FOUND', `Contract ${contractId} has no incident ${incidentId}.`, { incidentId });
    }
    const { updated } = await auditedChange(
      c,
      store,
      async () => {
        // Read again inside the transaction: `before` is the set this addition changed.
        const before = (await store.getContract(contractId))?.validationRules ?? contract.validationRules;
        const updated = await store.addValidationRule(contractId, rule);
        // The feedback step closes the incident's story: which rule now refuses the same input.
        if (incidentId !== undefined) {
          await store.appendIncidentEvent({
            incidentId,
            key: `feedback-${rule}`,
            step: 'feedback',
            summary: `${actorOf(principal)} added the validation rule ${rule} to ${contractId}: the same input is refused from now on.`,
            details: { contractId, rule, by: actorOf(principal) },
            txHashes: [],
          });
        }
        return { before, updated };
      },
      ({ before, updated }) => ({
        action: 'contract.add-rule',
        object: `contract:${contractId}`,
        before: { validationRules: before },
        after: { validationRules: updated.validationRules, incidentId: incidentId ?? null },
      }),
    );
    return c.json(updated, 200);
  });

  return app;
}
