import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { DeliveryStatus } from '../records';

const DELIVERY_STATUSES = ['not-applicable', 'pending', 'delivered', 'failed'] as const satisfies readonly DeliveryStatus[];

/** A message to one participant about one subject, and the state of its webhook delivery. */
export const Notification = defineEntity({
  name: 'Notification',
  properties: {
    /** Deterministic, chosen by the caller, so a retried activity finds the same row. */
    id: p.text().primary(),
    subjectId: p.text(),
    participantId: p.text().index(),
    kind: p.text(),
    payload: p.json<Record<string, unknown>>(),
    /** Copied at creation: a later change of the participant's URL does not redirect old messages. */
    webhookUrl: p.text().nullable(),
    deliveryStatus: p.enum(DELIVERY_STATUSES),
    attempts: p.integer(),
    lastError: p.text().nullable(),
    lastStatusCode: p.integer().nullable(),
    deliveredAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
  uniques: [{ properties: ['subjectId', 'participantId', 'kind'] }],
});

export type NotificationRow = InferEntity<typeof Notification>;
