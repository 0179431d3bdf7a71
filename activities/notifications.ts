import { createHash } from 'node:crypto';
import { DvctError } from '../domain/errors';
import type { Distribution } from '../domain/types';
import { SIGNATURE_HEADER, signPayload } from '../lib/webhook-signature';
import type { ActivityDeps } from './deps';

export const DISTRIBUTION_NOTIFICATION = 'distribution-allocated';

/**
 * Step 6: every participant concerned is told what it receives or pays. The notification is
 * recorded first (the participant's feed), then each webhook is delivered by its own activity so
 * Temporal retries one slow receiver without holding the others; every attempt is recorded.
 */
export function notificationActivities({ store, instance, outgoingTimeoutMs }: ActivityDeps) {
  return {
    async notifyParticipants(args: { subjectId: string }): Promise<{
      notificationIds: string[];
      deliveries: { notificationId: string; participantId: string }[];
    }> {
      const exchange = await store.getExchange(args.subjectId);
      if (!exchange?.distribution) throw new DvctError('NOT_FOUND', `Nothing was distributed for ${args.subjectId}`);
      const distribution = exchange.distribution as Distribution;
      const contract = await store.getContract(exchange.usecaseContractId);

      const concerned = new Set<string>();
      if (exchange.providerId) concerned.add(exchange.providerId);
      if (exchange.consumerId) concerned.add(exchange.consumerId);
      if (contract) concerned.add(contract.orchestratorId);
      for (const l of distribution.lines) concerned.add(l.payerId).add(l.recipientId);

      const participants = await store.getParticipants([...concerned]);
      const records = await store.createNotifications(
        participants.map((p) => ({
          id: notificationId(args.subjectId, p.id, DISTRIBUTION_NOTIFICATION),
          subjectId: args.subjectId,
          participantId: p.id,
          kind: DISTRIBUTION_NOTIFICATION,
          webhookUrl: p.webhookUrl,
          payload: {
            subjectId: args.subjectId,
            subjectKind: exchange.kind,
            usecaseContractId: exchange.usecaseContractId,
            role: roleOf(p.id, exchange, contract?.orchestratorId),
            receives: distribution.lines.filter((l) => l.recipientId === p.id),
            pays: distribution.lines.filter((l) => l.payerId === p.id),
            totalDistributed: distribution.totalDue,
            allocationTxHash: exchange.allocationTxHash,
            releaseAt: exchange.releaseAt?.toISOString() ?? null,
            statusUrl: `${instance.publicUrl}/v1/exchanges/${args.subjectId}`,
          },
        })),
      );
      return {
        notificationIds: records.map((r) => r.id),
        deliveries: records
          .filter((r) => r.webhookUrl && r.deliveryStatus === 'pending')
          .map((r) => ({ notificationId: r.id, participantId: r.participantId })),
      };
    },

    async deliverWebhook(args: { notificationId: string }): Promise<{ statusCode: number | null }> {
      const n = await store.getNotification(args.notificationId);
      if (!n) throw new DvctError('NOT_FOUND', `No notification ${args.notificationId}`);
      if (n.deliveryStatus === 'delivered' || !n.webhookUrl) return { statusCode: n.lastStatusCode ?? null };
      const participant = await store.getParticipant(n.participantId);
      if (!participant) throw new DvctError('UNKNOWN_PARTICIPANT', `No participant ${n.participantId}`);

      const body = JSON.stringify({ id: n.id, kind: n.kind, subjectId: n.subjectId, participantId: n.participantId, createdAt: n.createdAt.toISOString(), data: n.payload });
      let res: Response;
      try {
        res = await fetch(n.webhookUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signPayload(participant.webhookSecret, body, Math.floor(Date.now() / 1000)),
            // Receivers de-duplicate retried deliveries by this id.
            'x-dvct-delivery': n.id,
            'x-dvct-event': n.kind,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(outgoingTimeoutMs),
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await store.recordDeliveryAttempt(n.id, { ok: false, error: message });
        throw new Error(`Webhook ${n.webhookUrl} unreachable: ${message}`);
      }
      const ok = res.status >= 200 && res.status < 300;
      await store.recordDeliveryAttempt(n.id, { ok, statusCode: res.status, ...(ok ? {} : { error: `HTTP ${res.status}` }) });
      if (ok) return { statusCode: res.status };
      // 408/429/5xx may pass; any other answer is the receiver saying no, and retrying will not change it.
      if (res.status === 408 || res.status === 429 || res.status >= 500) throw new Error(`Webhook answered HTTP ${res.status}`);
      throw new DvctError('WEBHOOK_REJECTED', `Webhook ${n.webhookUrl} answered HTTP ${res.status}`);
    },

    async markDeliveryFailed(args: { notificationId: string; error: string }): Promise<void> {
      await store.markDeliveryFailed(args.notificationId, args.error);
    },
  };
}

function notificationId(subjectId: string, participantId: string, kind: string): string {
  return `ntf-${createHash('sha256').update(`${subjectId}\n${participantId}\n${kind}`).digest('hex').slice(0, 32)}`;
}

function roleOf(participantId: string, exchange: { providerId: string | null; consumerId: string | null }, orchestratorId: string | undefined): string {
  if (participantId === exchange.providerId) return 'data-provider';
  if (participantId === exchange.consumerId) return 'data-consumer';
  if (participantId === orchestratorId) return 'orchestrator';
  return 'upstream-provider';
}
