import { Context } from '@temporalio/activity';
import type { NewAuditEntry } from '../db/records';
import type { Store } from '../db/store';
import type { contractActivities } from './contracts';
import type { incidentActivities } from './incidents';
import type { nodeActivities } from './nodes';
import type { notificationActivities } from './notifications';
import type { outcomeActivities } from './outcome';
import type { peerActivities } from './peers';
import type { pointActivities } from './points';

/**
 * The worker's side of the audit trail: every activity that changes state leaves one entry, as
 * actor `worker`, with its run's workflow id and the transactions it sent. Which activities, and
 * what each entry says, is this one table; the entry is keyed by the activity execution, so a
 * retry that finds the effect done does not record it twice. An activity that only touches the
 * database (DATABASE_ONLY) writes its effect and its entry in one transaction; one that also talks
 * to the chain or a peer appends its entry once the effect is made (a transaction must not wait
 * on a receipt).
 */
type Composed = ReturnType<typeof contractActivities> &
  ReturnType<typeof nodeActivities> &
  ReturnType<typeof pointActivities> &
  ReturnType<typeof notificationActivities> &
  ReturnType<typeof outcomeActivities> &
  ReturnType<typeof incidentActivities> &
  ReturnType<typeof peerActivities>;

type Entry = Pick<NewAuditEntry, 'action' | 'object' | 'before' | 'after' | 'txHash'>;
type Describers = {
  [K in keyof Composed]?: (args: Parameters<Composed[K]>[0], result: Awaited<ReturnType<Composed[K]>>) => Entry;
};

const txOf = (hashes: readonly string[]) => hashes[0] ?? null;

export const AUDITED_ACTIVITIES: Describers = {
  createNodes: (a, r) => ({ action: 'lineage.create-nodes', object: `exchange:${a.exchangeId}`, after: r }),
  applyPrevRootUpdate: (a, r) => ({ action: 'lineage.prevroot-update', object: `node:${r.parentNodeId}`, after: { exchangeId: a.exchangeId, childNodeId: a.childNodeId, action: r.action, depth: a.depth } }),
  acceptPeerUpdate: (a, r) => ({ action: 'lineage.prevroot-update', object: `node:${r.parentNodeId}`, after: { exchangeId: a.exchangeId, childNodeId: a.child.nodeId, action: r.action, depth: a.depth, from: a.origin, requestId: a.requestId } }),
  sendPrevRootUpdate: (a, r) => ({ action: 'lineage.peer-update-sent', object: `node:${a.parentNodeId}`, after: { exchangeId: a.exchangeId, childNodeId: a.childNodeId, depth: a.depth, ...r } }),
  allocatePoints: (a, r) => ({
    action: 'allocation.allocate',
    object: `exchange:${a.subjectId}`,
    after: { lines: a.distribution.lines, releaseAt: r.releaseAt, alreadyAllocated: r.alreadyAllocated },
    txHash: r.txHash,
  }),
  verifyDistribution: (a, r) => ({ action: 'exchange.detection', object: `exchange:${a.subjectId}`, after: { ok: r.ok, totalDue: r.totalDue, totalOnChain: r.totalOnChain } }),
  releaseAllocations: (a, r) => ({ action: 'allocation.release', object: `exchange:${a.subjectId}`, after: { round: a.round ?? 'every round' }, txHash: r.txHash }),
  revokeAllocation: (a, r) => ({
    action: 'allocation.revoke',
    object: `exchange:${a.exchangeId}`,
    before: { payerId: a.payerId, recipientId: a.recipientId },
    after: { amount: r.amount, rounds: r.rounds, reason: a.reason },
    txHash: r.txHash,
  }),
  mintInitialPoints: (a, r) => ({ action: 'points.mint', object: `participant:${a.participantId}`, after: { units: a.units }, txHash: r.txHash }),
  markExchangeOutcome: (a) => ({ action: 'exchange.outcome', object: `exchange:${a.exchangeId}`, after: { status: a.status, code: a.error.code } }),
  notifyParticipants: (a, r) => ({ action: 'notification.record', object: `exchange:${a.subjectId}`, after: { notifications: r.notificationIds.length } }),
  notifyRevocation: (a, r) => ({ action: 'notification.record', object: `exchange:${a.exchangeId}`, after: { revocationId: a.revocationId, notifications: r.notificationIds.length } }),
  notifyIncident: (a, r) => ({ action: 'notification.record', object: `incident:${a.incidentId}`, after: { outcome: a.outcome, notifications: r.notificationIds.length } }),
  notifyEscalation: (a, r) => ({ action: 'notification.record', object: `incident:${a.incidentId}`, after: { escalated: true, notifications: r.notificationIds.length } }),
  openIncident: (a, r) => ({ action: 'incident.open', object: `incident:${a.incidentId}`, after: { exchangeId: a.exchangeId, source: a.source, created: r.created } }),
  rollbackIncident: (a, r) => ({ action: 'incident.rollback', object: `incident:${a.incidentId}`, after: { revoked: r.revoked, txHashes: r.txHashes }, txHash: txOf(r.txHashes) }),
  awaitReview: (a) => ({ action: 'incident.await-review', object: `incident:${a.incidentId}`, after: { deadline: a.deadline } }),
  escalateIncident: (a) => ({ action: 'incident.escalate', object: `incident:${a.incidentId}`, after: { deadline: a.deadline, fallback: a.fallback } }),
  recordReview: (a) => ({ action: 'incident.decision', object: `incident:${a.incidentId}`, after: a.decision }),
  correctIncident: (a, r) => ({ action: 'incident.correction', object: `incident:${a.incidentId}`, after: { decision: a.decision.decision, targetTotal: r.targetTotal } }),
  redistributeIncident: (a, r) => ({ action: 'incident.redistribution', object: `incident:${a.incidentId}`, after: { txHashes: r.txHashes, releaseAt: r.releaseAt }, txHash: txOf(r.txHashes) }),
  closeIncident: (a) => ({ action: 'incident.close', object: `incident:${a.incidentId}`, after: { status: a.status, summary: a.summary } }),
  cancelIncident: (a, r) => ({ action: 'incident.cancel', object: `incident:${a.incidentId}`, after: { done: a.done, revoked: r.revoked, txHashes: r.txHashes }, txHash: txOf(r.txHashes) }),
  rollbackExchange: (a, r) => ({ action: 'exchange.rollback', object: `exchange:${a.exchangeId}`, after: { revoked: r.revoked, reason: a.reason, txHashes: r.txHashes }, txHash: txOf(r.txHashes) }),
};

/**
 * Activities whose every effect is in the database: effect and entry commit together (one
 * transaction instead of one per write plus one for the entry), and neither exists without the other.
 */
const DATABASE_ONLY: ReadonlySet<keyof Composed> = new Set<keyof Composed>([
  'createNodes',
  'applyPrevRootUpdate',
  'acceptPeerUpdate',
  'markExchangeOutcome',
  'notifyParticipants',
  'notifyRevocation',
  'notifyIncident',
  'notifyEscalation',
  'openIncident',
  'awaitReview',
  'escalateIncident',
  'recordReview',
  'closeIncident',
]);

type AsyncFn = (...args: never[]) => Promise<unknown>;

/** The run and execution an activity belongs to; none when called outside Temporal (a direct call in a test). */
function execution(): { workflowId: string; dedupKey: string } | null {
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return null;
  }
  const run = info.workflowExecution;
  return run ? { workflowId: run.workflowId, dedupKey: `${run.workflowId}/${run.runId}/${info.activityId}` } : null;
}

export function withAuditTrail<T extends Record<string, AsyncFn>>(activities: T, store: Store): T {
  const wrapped: Record<string, AsyncFn> = { ...activities };
  for (const [name, describe] of Object.entries(AUDITED_ACTIVITIES) as [string, (args: unknown, result: unknown) => Entry][]) {
    const fn = activities[name];
    if (!fn) continue;
    const entryOf = (args: never[], result: unknown): NewAuditEntry => {
      const run = execution();
      return { actor: 'worker', ...describe(args[0], result), workflowId: run?.workflowId ?? null, ...(run ? { dedupKey: run.dedupKey } : {}) };
    };
    wrapped[name] = DATABASE_ONLY.has(name as keyof Composed)
      ? (...args: never[]) => store.recordWithAudit(() => fn(...args), (result) => entryOf(args, result))
      : async (...args: never[]) => {
          const result = await fn(...args);
          // Appended once the effect is made; if the append fails the activity fails, and its retry (which
          // finds the effect done) appends it then.
          await store.appendAudit(entryOf(args, result));
          return result;
        };
  }
  return wrapped as T;
}
