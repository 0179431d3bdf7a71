import { createHash } from 'node:crypto';
import { DvctError } from '../domain/errors';
import type { Distribution } from '../domain/types';
import { SIGNATURE_HEADER, signPayload } from '../lib/webhook-signature';
import type { ActivityDeps } from './deps';
import { mayPassOnRetry } from './outgoing';

export const DISTRIBUTION_NOTIFICATION = 'distribution-allocated';
export const REVOCATION_NOTIFICATION = 'allocation-revoked';
export const INCIDENT_ESCALATED_NOTIFICATION = 'incident-escalated';
/** 'incident-resolved' or 'incident-dismissed'. */
export const incidentNotificationKind = (status: string) => `incident-${status}`;

/** What the workflow needs to deliver what was recorded: one webhook activity per receiver. */
export interface RecordedNotifications {
  notificationIds: string[];
  deliveries: { notificationId: string; participantId: string }[];
}

/**
 * Step 6, and every later event about an exchange (a revocation): every participant concerned is
 * told what happened to it. The notification is recorded first (the participant's feed), then each
 * webhook is delivered by its own activity so Temporal retries one slow receiver without holding
 * the others; every attempt is recorded.
 */
export function notificationActivities({ store, instance, outgoingTimeoutMs }: ActivityDeps) {
  /**
   * The exchange a message is about. Who hears of it: its provider and consumer, its contract's
   * orchestrator, and every payer and recipient of the lines concerned.
   */
  async function subjectOf(exchangeId: string) {
    const exchange = await store.getExchange(exchangeId);
    if (!exchange) throw new DvctError('NOT_FOUND', `No exchange ${exchangeId}`, { exchangeId });
    const contract = await store.getContract(exchange.usecaseContractId);
    const orchestratorId = contract?.orchestratorId;
    return {
      exchange,
      concerned(lines: readonly { payerId: string; recipientId: string }[]): string[] {
        const ids = new Set<string>();
        if (exchange.providerId) ids.add(exchange.providerId);
        if (exchange.consumerId) ids.add(exchange.consumerId);
        if (orchestratorId) ids.add(orchestratorId);
        for (const l of lines) ids.add(l.payerId).add(l.recipientId);
        return [...ids];
      },
      roleOf: (participantId: string) => roleOf(participantId, exchange, orchestratorId),
    };
  }

  /** One message of `kind` about `subjectId` per participant, each payload built for its reader. */
  async function record(
    subjectId: string,
    kind: string,
    participantIds: string[],
    payloadFor: (participantId: string) => Record<string, unknown>,
  ): Promise<RecordedNotifications> {
    const participants = await store.getParticipants(participantIds);
    const records = await store.createNotifications(
      participants.map((p) => ({
        id: notificationId(subjectId, p.id, kind),
        subjectId,
        participantId: p.id,
        kind,
        webhookUrl: p.webhookUrl,
        payload: payloadFor(p.id),
      })),
    );
    return {
      notificationIds: records.map((r) => r.id),
      deliveries: records
        .filter((r) => r.webhookUrl && r.deliveryStatus === 'pending')
        .map((r) => ({ notificationId: r.id, participantId: r.participantId })),
    };
  }

  const statusUrl = (exchangeId: string) => `${instance.publicUrl}/v1/exchanges/${exchangeId}`;

  return {
    async notifyParticipants(args: { subjectId: string }): Promise<RecordedNotifications> {
      const subject = await subjectOf(args.subjectId);
      const { exchange } = subject;
      if (!exchange.distribution) throw new DvctError('NOT_FOUND', `Nothing was distributed for ${args.subjectId}`);
      const distribution = exchange.distribution as Distribution;
      return record(args.subjectId, DISTRIBUTION_NOTIFICATION, subject.concerned(distribution.lines), (id) => ({
        subjectId: args.subjectId,
        subjectKind: exchange.kind,
        usecaseContractId: exchange.usecaseContractId,
        role: subject.roleOf(id),
        receives: distribution.lines.filter((l) => l.recipientId === id),
        pays: distribution.lines.filter((l) => l.payerId === id),
        totalDistributed: distribution.totalDue,
        allocationTxHash: exchange.allocationTxHash,
        releaseAt: exchange.releaseAt?.toISOString() ?? null,
        statusUrl: statusUrl(args.subjectId),
      }));
    },

    /** Tells everyone concerned that the recipient's lines from `payerIds` were revoked, and why. */
    async notifyRevocation(args: {
      revocationId: string;
      exchangeId: string;
      recipientId: string;
      payerIds: string[];
      reason: string;
    }): Promise<RecordedNotifications> {
      const subject = await subjectOf(args.exchangeId);
      const revoked = (await store.getAllocations(args.exchangeId))
        .filter((a) => a.recipientId === args.recipientId && args.payerIds.includes(a.payerId) && a.status === 'revoked')
        .map((a) => ({ payerId: a.payerId, recipientId: a.recipientId, amount: a.amount, revokeTxHash: a.revokeTxHash }));
      return record(args.revocationId, REVOCATION_NOTIFICATION, subject.concerned(revoked), (id) => ({
        subjectId: args.revocationId,
        exchangeId: args.exchangeId,
        subjectKind: subject.exchange.kind,
        usecaseContractId: subject.exchange.usecaseContractId,
        role: subject.roleOf(id),
        recipientId: args.recipientId,
        reason: args.reason,
        revoked,
        statusUrl: statusUrl(args.exchangeId),
      }));
    },

    /**
     * The notification step of an incident: every participant of the exchange — provider, consumer,
     * orchestrator, whoever pays or is paid in any of its lines (upstream owners of the lineage
     * included, and every correction round) — and the one who disputed is told the error, its cause,
     * the decision and the correction, with the transactions.
     */
    async notifyIncident(args: { incidentId: string; outcome: 'resolved' | 'dismissed' }): Promise<RecordedNotifications> {
      const incident = await store.getIncident(args.incidentId);
      if (!incident) throw new DvctError('NOT_FOUND', `No incident ${args.incidentId}`);
      const subject = await subjectOf(incident.exchangeId);
      const events = await store.listIncidentEvents(incident.id);
      const allocations = await store.getAllocations(incident.exchangeId);
      const concerned = subject.concerned([...(subject.exchange.distribution?.lines ?? []), ...allocations, ...incident.findings]);
      if (incident.dispute && !concerned.includes(incident.dispute.participantId)) concerned.push(incident.dispute.participantId);
      const recorded = await record(incident.id, incidentNotificationKind(args.outcome), concerned, (id) => ({
        incidentId: incident.id,
        exchangeId: incident.exchangeId,
        usecaseContractId: subject.exchange.usecaseContractId,
        role: subject.roleOf(id),
        status: args.outcome,
        source: incident.source,
        rule: incident.rule,
        cause: incident.cause,
        findings: incident.findings,
        yourFindings: incident.findings.filter((f) => f.payerId === id || f.recipientId === id),
        decision: incident.decision,
        timeline: events.map((e) => ({ step: e.step, summary: e.summary, txHashes: e.txHashes, at: e.at.toISOString() })),
        statusUrl: `${instance.publicUrl}/v1/incidents/${incident.id}`,
      }));
      await store.appendIncidentEvent({
        incidentId: incident.id,
        key: 'notification',
        step: 'notification',
        summary: `Notified ${concerned.length} participant(s): ${concerned.join(', ')}`,
        details: { participants: concerned, notificationIds: recorded.notificationIds },
        txHashes: [],
      });
      return recorded;
    },

    /**
     * The review deadline passed: the contract's orchestrator and everyone who may decide incidents
     * (the organisations holding the reviewer's `incidents:review` grant in effect — the people who
     * operate reviews) get it in their feeds and on their webhooks, with what was left undecided.
     * The operator key has no feed of its own: it sees the incident under ?status=escalated.
     */
    async notifyEscalation(args: { incidentId: string; fallback: string }): Promise<RecordedNotifications> {
      const incident = await store.getIncident(args.incidentId);
      if (!incident) throw new DvctError('NOT_FOUND', `No incident ${args.incidentId}`);
      const subject = await subjectOf(incident.exchangeId);
      const contract = await store.getContract(subject.exchange.usecaseContractId);
      const reviewers = await store.participantsGranted('incidents:review', new Date());
      const told = [...new Set([...(contract ? [contract.orchestratorId] : []), ...reviewers])];
      const recorded = await record(incident.id, INCIDENT_ESCALATED_NOTIFICATION, told, (id) => ({
        incidentId: incident.id,
        exchangeId: incident.exchangeId,
        usecaseContractId: subject.exchange.usecaseContractId,
        role: id === contract?.orchestratorId ? 'orchestrator' : 'reviewer',
        rule: incident.rule,
        cause: incident.cause,
        findings: incident.findings,
        reviewDeadline: incident.reviewDeadline?.toISOString() ?? null,
        fallback: args.fallback,
        statusUrl: `${instance.publicUrl}/v1/incidents/${incident.id}`,
      }));
      await store.appendIncidentEvent({
        incidentId: incident.id,
        key: 'escalation-notified',
        step: 'escalation',
        summary: `Told of the escalation (feed and webhook): ${told.join(', ')}`,
        details: { participants: told, notificationIds: recorded.notificationIds },
        txHashes: [],
      });
      return recorded;
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
      if (mayPassOnRetry(res.status)) throw new Error(`Webhook answered HTTP ${res.status}`);
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
