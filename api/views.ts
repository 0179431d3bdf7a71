import { z } from '@hono/zod-openapi';
import type { NotificationRecord } from '../db/records';
import { unitsToPoints } from '../domain/amounts';
import { nodeUrlAt, type Directory } from '../domain/directory';
import { incentiveTermSchema } from '../domain/schemas';
import type { Units } from '../domain/types';

/**
 * Response shapes more than one resource shows. Amounts are given twice: in points as a decimal
 * string (what people read) and in token base units (what the chain holds), never as a float.
 */

export const pointsField = z.string().openapi({ description: 'Points as a decimal string (18 decimals at most)', example: '2.5' });
export const unitsField = z.string().openapi({ description: 'Token base units (10^18 per point) as an integer string', example: '2500000000000000000' });

export function amountOf(units: Units): { amount: string; amountUnits: Units } {
  return { amount: unitsToPoints(units), amountUnits: units };
}

const nodeRefSchema = z.object({ nodeId: z.string(), '@nodeUrl': z.string() });

/** A lineage node exactly in the design document's "Output data" shape. */
export const nodeViewSchema = z
  .object({
    nodeId: z.string(),
    dataId: z.string(),
    nodeMetadata: z.object({
      dvctId: z.string(),
      usecaseContractId: z.string(),
      dataProviderId: z.string(),
      dataConsumerId: z.string(),
      incentiveReceivedFrom: z.array(z.object({ organizationId: z.string(), numPoints: z.number(), contractId: z.string() })),
    }),
    prevNode: z.array(nodeRefSchema),
    childNode: z.array(nodeRefSchema),
  })
  .openapi('NodeView');

/** An exchange report as stored: the request, normalised (`prevDataId` became `prevDataIds`). */
export const reportViewSchema = z
  .object({
    dvctId: z.string(),
    usecaseContractId: z.string(),
    usecaseContractTitle: z.string().optional(),
    contractId: z.string(),
    dataId: z.string(),
    dataProviderId: z.string(),
    dataConsumerId: z.string(),
    dataConsumerIsAIProvider: z.boolean(),
    prevDataIds: z.array(z.string()),
    incentiveForDataProvider: incentiveTermSchema.optional(),
    extraIncentiveForAIProvider: incentiveTermSchema.optional(),
    outputDataId: z.string().optional(),
    outputDataType: z.enum(['chain-data', 'final-data']).optional(),
  })
  .openapi('ExchangeReport');

/** Where an incident and its timeline are read (relative, like an exchange's statusUrl). */
export function incidentUrl(incidentId: string): string {
  return `/v1/incidents/${encodeURIComponent(incidentId)}`;
}

/** A node's `@nodeUrl`: on its home instance (from the directory) when it is homed on a peer, else here. */
export function nodeUrlFor(directory: Directory): (nodeId: string, homeInstanceId: string | null) => string {
  const here = directory.instance(directory.self)!.url;
  return (nodeId, homeInstanceId) => nodeUrlAt((homeInstanceId !== null && directory.instance(homeInstanceId)?.url) || here, nodeId);
}

/** A message to one participant, as its feed and an exchange show it, with its webhook delivery. */
export const notificationSchema = z
  .object({
    id: z.string().openapi({ description: 'Also the webhook\'s x-dvct-delivery header' }),
    subjectId: z.string().openapi({ description: 'What it is about: an exchange or settlement id, a revocation id or an incident id' }),
    participantId: z.string(),
    kind: z.string().openapi({ example: 'allocation-revoked', description: 'What happened: `distribution-allocated`, `allocation-revoked`, or a step of an incident (e.g. `incident-resolved`, `incident-dismissed`)' }),
    payload: z.record(z.string(), z.unknown()),
    deliveryStatus: z.enum(['not-applicable', 'pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Notification');

export function notificationView(n: NotificationRecord): z.infer<typeof notificationSchema> {
  return {
    id: n.id,
    subjectId: n.subjectId,
    participantId: n.participantId,
    kind: n.kind,
    payload: n.payload,
    deliveryStatus: n.deliveryStatus,
    attempts: n.attempts,
    lastError: n.lastError,
    deliveredAt: n.deliveredAt?.toISOString() ?? null,
    createdAt: n.createdAt.toISOString(),
  };
}
