import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A member organisation: who it is, where its points go, where it is notified (its API keys are ApiKey rows). */
export const Participant = defineEntity({
  name: 'Participant',
  properties: {
    id: p.text().primary(),
    name: p.text(),
    roles: p.json<string[]>(),
    /** Always lowercase, so lookups by address never depend on checksum casing. */
    walletAddress: p.text(),
    webhookUrl: p.text().nullable(),
    /** Shared secret for HMAC signatures on webhook calls. */
    webhookSecret: p.text(),
    createdAt: p.datetime(),
    /** Set while the operator has the organisation suspended: its keys are refused, it takes part in no new exchange. */
    suspendedAt: p.datetime().nullable(),
    suspensionReason: p.text().nullable(),
  },
});

export type ParticipantRow = InferEntity<typeof Participant>;
