import { toUnits, unitsToPoints } from '../domain/amounts';
import { findDiscrepancies, metricDifferences, planCorrection, planRollback, contractMetrics, standingLines, type Assessment } from '../domain/correction';
import { describeDeparture, type RevokeCause } from '../domain/due';
import { DvctError } from '../domain/errors';
import type { CorrectionPlan, Decided, HeldLine, IncidentSource, IncidentStatus, ReviewPolicy } from '../domain/incidents';
import type { AllocationLine } from '../domain/types';
import { chainSubjectOf, incidentWorkflowId } from '../domain/workflow-ids';
import { hashRecord } from '../lib/record-hash';
import type { ActivityDeps } from './deps';
import { whileHeartbeating } from './failures';
import { chainDrift, contractDue, dueOf, readPosition, walletOf, type Position } from './incident-position';

const points = (units: string | bigint) => unitsToPoints(typeof units === 'bigint' ? units : BigInt(units));
const describeLine = (l: { payerId: string; recipientId: string; amount: string }) => `${l.payerId} → ${l.recipientId} ${points(l.amount)} points`;

/**
 * The incident saga's steps against the database and the chain. Each is idempotent — a retried
 * activity finds its effect done (ledger reads before it writes, timeline events keyed per step)
 * — and records itself in the incident's timeline with the transactions it sent.
 */
export function incidentActivities(deps: ActivityDeps) {
  const { store, ledger, log } = deps;

  async function incidentOf(incidentId: string) {
    const incident = await store.getIncident(incidentId);
    if (!incident) throw new DvctError('NOT_FOUND', `No incident ${incidentId}`, { incidentId });
    return incident;
  }

  /** Revokes held lines on chain (idempotently) and records them with why; a line released meanwhile is reported, not revoked. */
  async function revokeLines(position: Position, lines: readonly HeldLine[], reason: string, cause: RevokeCause) {
    const exchangeId = position.exchange.id;
    const revoked: { line: HeldLine; txHash: string | null }[] = [];
    const released: HeldLine[] = [];
    for (const line of lines) {
      try {
        const result = await whileHeartbeating(() =>
          ledger.revoke(chainSubjectOf(exchangeId, line.round), walletOf(position.wallets, line.payerId), walletOf(position.wallets, line.recipientId), reason),
        );
        await store.markAllocationRevoked({ exchangeId, round: line.round, payerId: line.payerId, recipientId: line.recipientId, txHash: result.txHash, reason, cause });
        revoked.push({ line, txHash: result.txHash });
      } catch (err) {
        if (!(err instanceof DvctError && err.code === 'ALLOCATION_RELEASED')) throw err;
        released.push(line);
      }
    }
    return { revoked, released };
  }

  return {
    /** The incident's record, once; the same id again is the same incident. */
    async openIncident(args: { incidentId: string; exchangeId: string; source: IncidentSource }): Promise<{ created: boolean; status: IncidentStatus }> {
      const { incident, created } = await store.openIncident({
        id: args.incidentId,
        exchangeId: args.exchangeId,
        source: args.source,
        workflowId: incidentWorkflowId(args.incidentId),
        dispute: null,
      });
      return { created, status: incident.status };
    },

    /**
     * Detection: the holdings (chain) against the DVCT's record and against what is due — the
     * contract's distribution as amended by deliberate revocations and decided incidents. Records
     * what it finds, why, what stood (what a reject keeps), and the validation rule that would have
     * refused the input.
     */
    async assessIncident(args: { incidentId: string }): Promise<{ assessment: Assessment; policy: ReviewPolicy; contractId: string; participants: string[] }> {
      const incident = await incidentOf(args.incidentId);
      const position = await readPosition(deps, incident.exchangeId);
      const { exchange, contract } = position;
      const due = dueOf(position);
      const findings = findDiscrepancies(position.held, due.lines, contract.review.tolerancePoints);
      const drift = chainDrift(position.observed);

      // What the chain shows and the DVCT did not do is recorded as observed, so the books follow the chain.
      for (const { record, onChain } of drift) {
        if (record.status === 'allocated' && (onChain.status === 'revoked' || onChain.status === 'none')) {
          await store.markAllocationRevoked({ ...record, txHash: null, reason: 'revoked on chain outside the DVCT (observed by detection)', cause: 'outside' });
        } else if (record.status === 'allocated' && onChain.status === 'released') {
          await store.markAllocationsReleased(record.exchangeId, [record], null);
        }
      }

      const differences = exchange.basis && exchange.report ? metricDifferences(exchange.basis.metrics, contractMetrics(contract, exchange.report, exchange.basis.qualityFactors)) : [];
      const dueTotal = points(due.totalDue);
      const heldTotal = points(position.held.reduce((s, l) => s + (l.status === 'revoked' ? 0n : BigInt(l.amount)), 0n));
      // A dispute is about the disputing participant's own lines; anything else about the whole exchange.
      const disputer = incident.dispute?.participantId;
      const departures = disputer ? due.departures.filter((d) => d.payerId === disputer || d.recipientId === disputer) : due.departures;
      const amended = departures.length > 0 ? ` What is due departs from the contract: ${departures.map(describeDeparture).join('; ')}.` : '';
      let assessment: Assessment;
      if (drift.length > 0 && findings.length > 0) {
        const what = drift.map(({ record, onChain }) => `${record.payerId} → ${record.recipientId}: recorded ${record.status} ${points(record.amount)}, chain ${onChain.status} ${points(onChain.amount)}`);
        assessment = { rule: 'chain-matches-allocation', findings, cause: `The chain was changed outside the DVCT (${what.join('; ')})`, departures };
      } else if (findings.length > 0) {
        const why = differences.length > 0 ? `the report's metrics differ from the contract (${differences.join('; ')})` : 'the allocation differs from what is due';
        assessment = { rule: 'allocation-matches-contract', findings, cause: `${why}; ${dueTotal} points are due, ${heldTotal} are held.${amended}`, departures };
      } else {
        const from = due.departures.length > 0 ? 'the contract as amended' : 'the contract';
        assessment = { rule: incident.source === 'dispute' ? 'participant-dispute' : null, findings, cause: `recomputed from ${from}, ${dueTotal} points are due and ${heldTotal} are held, line by line.${amended}`, departures };
      }
      if (incident.dispute) {
        const mine = due.lines.filter((l) => l.recipientId === incident.dispute!.participantId).reduce((s, l) => s + BigInt(l.amount), 0n);
        const expected = incident.dispute.expectedPoints === null ? '' : `it expected ${incident.dispute.expectedPoints} points; `;
        const dueToIt = departures.length > 0 ? `${points(mine)} points are due to it` : `the contract makes ${points(mine)} points due to it`;
        assessment.cause = `${incident.dispute.participantId} disputes what it received (${incident.dispute.reason}): ${expected}${dueToIt}. ${assessment.cause}`;
      }

      await store.updateIncident(incident.id, {
        rule: assessment.rule,
        cause: assessment.cause,
        findings,
        heldAtDetection: standingLines(position.held),
        suggestedValidationRule: assessment.rule === 'allocation-matches-contract' && differences.length > 0 ? 'reported-terms-match-contract' : null,
      });
      await store.appendIncidentEvent({
        incidentId: incident.id,
        key: 'detection',
        step: 'detection',
        summary: findings.length === 0 ? `Nothing differs: ${assessment.cause}` : `${findings.length} line(s) differ: ${assessment.cause}`,
        details: { source: incident.source, rule: assessment.rule, findings, due: due.lines, departures: due.departures },
        txHashes: [],
      });
      const parties = [...due.lines, ...position.observed.map((o) => o.record)].flatMap((l) => [l.payerId, l.recipientId]);
      const participants = [...new Set([exchange.providerId, exchange.consumerId, contract.orchestratorId, ...parties].filter((p): p is string => !!p))];
      return { assessment, policy: contract.review, contractId: contract.id, participants };
    },

    /**
     * Rollback, the compensation: every held line above what is due goes back to its payer before
     * anything else happens — after the window a recipient could release it itself. Harmless when
     * there is nothing to undo (a line short of its due, the 10 points short: nothing is held above
     * it); run even when the run is being cancelled.
     */
    async rollbackIncident(args: { incidentId: string }): Promise<{ revoked: number; txHashes: string[] }> {
      const incident = await incidentOf(args.incidentId);
      const position = await readPosition(deps, incident.exchangeId);
      const toRevoke = planRollback(position.held, dueOf(position).lines);
      const { revoked, released } = await revokeLines(position, toRevoke, `incident ${incident.id}: over-allocation rolled back`, 'correction');
      const txHashes = revoked.map((r) => r.txHash).filter((h): h is string => h !== null);
      await store.appendIncidentEvent({
        incidentId: incident.id,
        key: 'rollback',
        step: 'rollback',
        summary:
          toRevoke.length === 0
            ? 'Nothing to roll back: no line holds more than is due (a line short of its due gets the difference in the correction).'
            : `Rolled back ${revoked.length} line(s): ${revoked.map((r) => describeLine(r.line)).join('; ')}${released.length ? `; already released, cannot be revoked: ${released.map(describeLine).join('; ')}` : ''}`,
        details: { revoked: revoked.map((r) => ({ ...r.line, txHash: r.txHash })), released },
        txHashes,
      });
      return { revoked: revoked.length, txHashes };
    },

    async awaitReview(args: { incidentId: string; question: string; deadline: string }): Promise<void> {
      await store.updateIncident(args.incidentId, { status: 'awaiting-review', reviewDeadline: new Date(args.deadline) });
      await store.appendIncidentEvent({
        incidentId: args.incidentId,
        key: 'review-requested',
        step: 'review',
        summary: `Waiting for a reviewer until ${args.deadline}: ${args.question}`,
        details: { deadline: args.deadline },
        txHashes: [],
      });
    },

    async escalateIncident(args: { incidentId: string; deadline: string; fallback: Decided['decision'] }): Promise<void> {
      await store.updateIncident(args.incidentId, { status: 'escalated' });
      await store.appendIncidentEvent({
        incidentId: args.incidentId,
        key: 'escalation',
        step: 'escalation',
        summary: `No review by the deadline (${args.deadline}): escalated; the contract's default "${args.fallback}" applies.`,
        details: { deadline: args.deadline, fallback: args.fallback },
        txHashes: [],
      });
      // The orchestrator and every reviewer are notified next (feed and webhook); the log line is for whoever runs the worker.
      log.warn({ incidentId: args.incidentId, deadline: args.deadline, fallback: args.fallback }, 'incident review deadline passed: escalated');
    },

    async recordReview(args: { incidentId: string; decision: Decided }): Promise<void> {
      const { decision } = args;
      await store.updateIncident(args.incidentId, { decision });
      await store.appendIncidentEvent({
        incidentId: args.incidentId,
        key: 'review-decided',
        step: 'review',
        summary: `${decision.decision} by ${decision.decidedBy}: ${decision.comment}`,
        details: decision,
        txHashes: [],
      });
    },

    /**
     * Correction: the target the decision sets, and the plan that gets the holdings there.
     * approve-correction: what is due (the contract as amended by revocations and earlier decisions);
     * adjust: the contract's metrics with the reviewer's corrections — a person overriding everything
     * before; reject: the holdings as the incident found them (anything its rollback took is restored).
     * The target is recorded as the incident's yardstick for the incidents after it.
     */
    async correctIncident(args: { incidentId: string; decision: Decided }): Promise<{ plan: CorrectionPlan; targetTotal: string }> {
      const incident = await incidentOf(args.incidentId);
      const position = await readPosition(deps, incident.exchangeId);
      const { exchange, contract } = position;
      const { decision } = args;
      let target: AllocationLine[];
      if (decision.decision === 'reject') {
        // Assessed before what was held was kept: its distribution as first allocated, as the incident then meant.
        const kept = incident.heldAtDetection ?? exchange.distribution?.lines;
        if (!kept) throw new DvctError('NOT_FOUND', `Nothing was distributed for ${exchange.id}`);
        target = kept;
      } else if (decision.decision === 'adjust') {
        target = contractDue(exchange, contract, decision.correctedMetrics).lines;
      } else {
        target = dueOf(position).lines;
      }
      const targetTotal = toUnits(target.reduce((s, l) => s + BigInt(l.amount), 0n));
      const plan = planCorrection(position.held, target);
      await store.updateIncident(incident.id, { decidedDue: target });
      await store.appendIncidentEvent({
        incidentId: incident.id,
        key: 'correction',
        step: 'correction',
        summary:
          plan.allocate.length + plan.revoke.length === 0
            ? `No change: the holdings already match the ${decision.decision === 'reject' ? 'holdings as found' : 'corrected distribution'} (${points(targetTotal)} points).`
            : `Recalculated (${decision.decision}${decision.correctedMetrics ? ` with ${JSON.stringify(decision.correctedMetrics)}` : ''}): ${points(targetTotal)} points due; to allocate ${plan.allocate.map(describeLine).join('; ') || 'nothing'}${plan.revoke.length ? `; to revoke ${plan.revoke.map(describeLine).join('; ')}` : ''}`,
        details: { decision, target, plan },
        txHashes: [],
      });
      return { plan, targetTotal };
    },

    /**
     * Re-distribution: only what the correction needs, as the incident's own allocation round —
     * so it happens once per incident, whatever retries, and stays revocable for the contract's window.
     */
    async redistributeIncident(args: { incidentId: string; plan: CorrectionPlan }): Promise<{ txHashes: string[]; releaseAt: string | null }> {
      const incident = await incidentOf(args.incidentId);
      const position = await readPosition(deps, incident.exchangeId);
      const { exchange, contract } = position;
      const reason = `incident ${incident.id}: correction`;
      const { revoked } = await revokeLines(position, args.plan.revoke, reason, 'correction');
      const txHashes = revoked.map((r) => r.txHash).filter((h): h is string => h !== null);

      let releaseAt: string | null = null;
      if (args.plan.allocate.length > 0) {
        const lines: AllocationLine[] = args.plan.allocate;
        const subject = chainSubjectOf(exchange.id, incident.id);
        const result = await whileHeartbeating(() =>
          ledger.allocate({
            exchangeId: subject,
            recordHash: hashRecord({ exchangeId: exchange.id, incidentId: incident.id, decision: incident.decision, lines }),
            holdSeconds: contract.verificationWindowSeconds,
            lines: lines.map((l) => ({ payer: walletOf(position.wallets, l.payerId), recipient: walletOf(position.wallets, l.recipientId), amount: BigInt(l.amount) })),
            nodes: [],
          }),
        );
        const at = new Date(result.releaseAt * 1000);
        await store.recordDistribution({ exchangeId: exchange.id, round: incident.id, parts: [], lines, allocationTxHash: result.txHash, releaseAt: at });
        if (result.txHash) txHashes.push(result.txHash);
        releaseAt = at.toISOString();
      }
      await store.appendIncidentEvent({
        incidentId: incident.id,
        key: 'redistribution',
        step: 'redistribution',
        summary:
          args.plan.allocate.length === 0 && revoked.length === 0
            ? 'Nothing to re-distribute.'
            : `Allocated ${args.plan.allocate.map(describeLine).join('; ') || 'nothing'}${revoked.length ? `; revoked ${revoked.map((r) => describeLine(r.line)).join('; ')}` : ''}${releaseAt ? `; revocable until ${releaseAt}` : ''}`,
        details: { allocated: args.plan.allocate, revoked: revoked.map((r) => ({ ...r.line, txHash: r.txHash })), unrecoverable: args.plan.unrecoverable, releaseAt },
        txHashes,
      });
      return { txHashes, releaseAt };
    },

    async closeIncident(args: { incidentId: string; status: Extract<IncidentStatus, 'resolved' | 'dismissed' | 'cancelled'>; summary: string }): Promise<void> {
      await store.updateIncident(args.incidentId, { status: args.status, closedAt: new Date() });
      await store.appendIncidentEvent({ incidentId: args.incidentId, key: 'resolution', step: 'resolution', summary: args.summary, details: { status: args.status }, txHashes: [] });
    },

    /**
     * The compensation of a cancelled incident run: whatever its correction still holds goes back to
     * the payers — a deliberate revocation, like any cancellation's, so those recipients are due
     * nothing more on this exchange unless a reviewer decides otherwise — and the incident is closed
     * as cancelled, its timeline saying what the run had done (`done`) and what was revoked.
     * Harmless when the run made no correction; idempotent.
     */
    async cancelIncident(args: { incidentId: string; done: string }): Promise<{ revoked: number; txHashes: string[] }> {
      const incident = await incidentOf(args.incidentId);
      const position = await readPosition(deps, incident.exchangeId);
      const correction = position.held.filter((l) => l.round === incident.id && l.status === 'allocated');
      const { revoked, released } = await revokeLines(position, correction, `incident ${incident.id}: its run was cancelled`, 'cancellation');
      const txHashes = revoked.map((r) => r.txHash).filter((h): h is string => h !== null);
      const undone = revoked.length > 0 ? ` Its correction was revoked back to the payers: ${revoked.map((r) => describeLine(r.line)).join('; ')}.` : '';
      const paid = released.length > 0 ? ` Already released, it stays paid out: ${released.map(describeLine).join('; ')}.` : '';
      await store.updateIncident(incident.id, { status: 'cancelled', closedAt: new Date() });
      await store.appendIncidentEvent({
        incidentId: incident.id,
        key: 'cancellation',
        step: 'cancellation',
        summary: `${args.done}${undone}${paid}`,
        details: { revoked: revoked.map((r) => ({ ...r.line, txHash: r.txHash })), released },
        txHashes,
      });
      return { revoked: revoked.length, txHashes };
    },

    /** The saga's compensation when an exchange run is cancelled: every line still held goes back to its payer, on purpose. */
    async rollbackExchange(args: { exchangeId: string; reason: string }): Promise<{ revoked: number; txHashes: string[] }> {
      const position = await readPosition(deps, args.exchangeId);
      const { revoked } = await revokeLines(position, position.held.filter((l) => l.status === 'allocated'), args.reason, 'cancellation');
      return { revoked: revoked.length, txHashes: revoked.map((r) => r.txHash).filter((h): h is string => h !== null) };
    },
  };
}
