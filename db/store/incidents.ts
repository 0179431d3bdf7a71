import { DvctError } from '../../domain/errors';
import { compareIds } from '../../domain/incentives';
import type { IncidentStatus } from '../../domain/incidents';
import { Incident, type IncidentRow } from '../entities/incident';
import { IncidentEvent, type IncidentEventRow } from '../entities/incident-event';
import type { Orm } from '../orm';
import type { IncidentEventRecord, IncidentPatch, IncidentRecord, NewIncident, NewIncidentEvent } from '../records';
import { insertOnce, session, whereIdIn } from './support';

/** Statuses of an incident still being handled: not resolved, dismissed or cancelled. */
export const OPEN_INCIDENT_STATUSES = ['open', 'awaiting-review', 'escalated'] as const satisfies readonly IncidentStatus[];
/** Statuses of an incident whose decision stands; a cancelled one's was withdrawn with its correction. */
export const DECIDED_INCIDENT_STATUSES = ['resolved', 'dismissed'] as const satisfies readonly IncidentStatus[];

export interface IncidentFilter {
  status?: IncidentStatus;
  exchangeId?: string;
  /** Only incidents of these exchanges (e.g. the ones a participant may see); empty matches nothing. */
  exchangeIds?: readonly string[];
}

export interface IncidentStore {
  /**
   * Records a new incident once by id: status 'open', nothing assessed yet. An existing id comes
   * back unchanged (created: false); the same id on another exchange → CONFLICT; an unknown
   * exchange → NOT_FOUND.
   */
  openIncident(n: NewIncident): Promise<{ incident: IncidentRecord; created: boolean }>;
  getIncident(id: string): Promise<IncidentRecord | null>;
  /** Sets the given fields (null clears one) and returns the incident; unknown id → NOT_FOUND. */
  updateIncident(id: string, patch: IncidentPatch): Promise<IncidentRecord>;
  /** Newest first (ties by id, descending); `before` is exclusive, for the next page. */
  listIncidents(filter: IncidentFilter, page: { limit: number; before?: Date }): Promise<IncidentRecord[]>;
  /** The exchange's incidents still being handled, oldest first. */
  openIncidentsOf(exchangeId: string): Promise<IncidentRecord[]>;
  /** The exchange's incidents whose decision stands (resolved or dismissed), in the order they closed. */
  decidedIncidentsOf(exchangeId: string): Promise<IncidentRecord[]>;
  /**
   * Adds a step to the incident's timeline with the next seq. Idempotent by (incidentId, key): the
   * same key again returns the stored event unchanged. Unknown incident → NOT_FOUND.
   */
  appendIncidentEvent(e: NewIncidentEvent): Promise<IncidentEventRecord>;
  /** The timeline, in seq order. */
  listIncidentEvents(incidentId: string): Promise<IncidentEventRecord[]>;
}

/** Two writers racing for the same seq: the loser takes the next one; this bounds the retries. */
const SEQ_ATTEMPTS = 20;

export function incidentStore(orm: Orm): IncidentStore {
  async function findIncident(id: string): Promise<IncidentRecord | null> {
    const row = await session(orm).findOne(Incident, { id });
    return row ? toIncidentRecord(row) : null;
  }

  async function findEvent(incidentId: string, key: string): Promise<IncidentEventRecord | null> {
    const row = await session(orm).findOne(IncidentEvent, { incidentId, key });
    return row ? toEventRecord(row) : null;
  }

  return {
    async openIncident(n) {
      const now = new Date();
      const record: IncidentRecord = {
        ...n,
        status: 'open',
        rule: null,
        cause: '',
        findings: [],
        decision: null,
        heldAtDetection: null,
        decidedDue: null,
        suggestedValidationRule: null,
        reviewDeadline: null,
        openedAt: now,
        updatedAt: now,
        closedAt: null,
      };
      if (await insertOnce(session(orm), Incident, record)) return { incident: record, created: true };
      const existing = await findIncident(n.id);
      if (!existing || existing.exchangeId !== n.exchangeId) {
        throw new DvctError('CONFLICT', `Incident ${n.id} belongs to another exchange`, { incidentId: n.id, exchangeId: n.exchangeId });
      }
      return { incident: existing, created: false };
    },

    getIncident: findIncident,

    async updateIncident(id, patch) {
      const changes = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const updated = await session(orm).nativeUpdate(Incident, { id }, { ...changes, updatedAt: new Date() });
      if (updated === 0) throw new DvctError('NOT_FOUND', `No incident ${id}`, { incidentId: id });
      return (await findIncident(id))!;
    },

    async listIncidents(filter, { limit, before }) {
      const where = {
        ...(filter.status !== undefined ? { status: filter.status } : {}),
        ...(filter.exchangeId !== undefined ? { exchangeId: filter.exchangeId } : {}),
        ...(before ? { openedAt: { $lt: before } } : {}),
      };
      const page = (extra: object) =>
        session(orm).find(Incident, { ...where, ...extra }, { orderBy: { openedAt: 'desc', id: 'desc' }, limit });
      // Each slice of a long id list gives its own newest `limit`; the newest of those are the page.
      const rows = filter.exchangeIds ? await whereIdIn(filter.exchangeIds, (slice) => page({ exchangeId: { $in: slice } })) : await page({});
      return rows.map(toIncidentRecord).sort(newestFirst).slice(0, limit);
    },

    async openIncidentsOf(exchangeId) {
      const rows = await session(orm)
        .find(Incident, { exchangeId, status: { $in: [...OPEN_INCIDENT_STATUSES] } }, { orderBy: { openedAt: 'asc', id: 'asc' } });
      return rows.map(toIncidentRecord);
    },

    async decidedIncidentsOf(exchangeId) {
      const rows = await orm.em
        .fork()
        .find(Incident, { exchangeId, status: { $in: [...DECIDED_INCIDENT_STATUSES] } }, { orderBy: { closedAt: 'asc', id: 'asc' } });
      return rows.map(toIncidentRecord);
    },

    async appendIncidentEvent(e) {
      for (let attempt = 1; attempt <= SEQ_ATTEMPTS; attempt++) {
        const known = await findEvent(e.incidentId, e.key);
        if (known) return known;
        const em = session(orm);
        const last = await em.findOne(IncidentEvent, { incidentId: e.incidentId }, { orderBy: { seq: 'desc' }, fields: ['seq'] });
        const record: IncidentEventRecord = {
          incidentId: e.incidentId,
          seq: (last?.seq ?? 0) + 1,
          step: e.step,
          summary: e.summary,
          details: e.details ?? null,
          txHashes: e.txHashes,
          at: new Date(),
        };
        // A unique violation is either this key recorded meanwhile (found next round) or this seq taken.
        if (await insertOnce(em, IncidentEvent, { ...record, key: e.key })) return record;
      }
      throw new DvctError('CONFLICT', `Could not record event ${e.key} of incident ${e.incidentId}: too many concurrent writers`, {
        incidentId: e.incidentId,
        key: e.key,
      });
    },

    async listIncidentEvents(incidentId) {
      const rows = await session(orm).find(IncidentEvent, { incidentId }, { orderBy: { seq: 'asc' } });
      return rows.map(toEventRecord);
    },
  };
}

function newestFirst(a: IncidentRecord, b: IncidentRecord): number {
  return b.openedAt.getTime() - a.openedAt.getTime() || compareIds(b.id, a.id);
}

function toIncidentRecord(row: IncidentRow): IncidentRecord {
  return {
    id: row.id,
    exchangeId: row.exchangeId,
    source: row.source,
    status: row.status,
    rule: row.rule ?? null,
    cause: row.cause,
    findings: row.findings,
    dispute: row.dispute ?? null,
    decision: row.decision ?? null,
    heldAtDetection: row.heldAtDetection ?? null,
    decidedDue: row.decidedDue ?? null,
    suggestedValidationRule: row.suggestedValidationRule ?? null,
    workflowId: row.workflowId,
    reviewDeadline: row.reviewDeadline ?? null,
    openedAt: row.openedAt,
    updatedAt: row.updatedAt,
    closedAt: row.closedAt ?? null,
  };
}

function toEventRecord(row: IncidentEventRow): IncidentEventRecord {
  return {
    incidentId: row.incidentId,
    seq: row.seq,
    step: row.step,
    summary: row.summary,
    details: row.details ?? null,
    txHashes: row.txHashes,
    at: row.at,
  };
}
