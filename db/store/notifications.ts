import { raw } from '@mikro-orm/core';
import { DvctError } from '../../domain/errors';
import { Notification, type NotificationRow } from '../entities/notification';
import type { Orm } from '../orm';
import type { DeliveryAttempt, NewNotification, NotificationRecord } from '../records';
import { insertOnce, session } from './support';

export interface NotificationStore {
  /**
   * Creates each message once per (subjectId, participantId, kind); existing ones come back
   * unchanged. Delivery starts 'pending' with a webhook URL, 'not-applicable' without. An id already
   * used for another (subject, participant, kind) → DvctError CONFLICT.
   */
  createNotifications(list: NewNotification[]): Promise<NotificationRecord[]>;
  getNotification(id: string): Promise<NotificationRecord | null>;
  /**
   * Counts one webhook attempt of a pending message: delivered when ok, else still pending with the
   * error. A message already delivered or given up on is returned unchanged. Unknown id → NOT_FOUND.
   */
  recordDeliveryAttempt(id: string, r: DeliveryAttempt): Promise<NotificationRecord>;
  /** Gives up on a pending message; unknown id → NOT_FOUND. */
  markDeliveryFailed(id: string, error: string): Promise<void>;
  /** Oldest first. */
  listNotifications(filter: { subjectId?: string; participantId?: string }): Promise<NotificationRecord[]>;
  /**
   * A participant's feed, newest first (ties by id, descending, so pages are stable): at most
   * `limit` messages created strictly after `since` when given.
   */
  notificationFeed(participantId: string, page: { since?: Date; limit: number }): Promise<NotificationRecord[]>;
}

export function notificationStore(orm: Orm): NotificationStore {
  async function findOrFail(id: string): Promise<NotificationRecord> {
    const row = await session(orm).findOne(Notification, { id });
    if (!row) throw new DvctError('NOT_FOUND', `No notification ${id}`, { notificationId: id });
    return toNotificationRecord(row);
  }

  return {
    async createNotifications(list) {
      const records: NotificationRecord[] = [];
      for (const n of list) {
        const em = session(orm);
        const record: NotificationRecord = {
          ...n,
          deliveryStatus: n.webhookUrl ? 'pending' : 'not-applicable',
          attempts: 0,
          lastError: null,
          lastStatusCode: null,
          deliveredAt: null,
          createdAt: new Date(),
        };
        if (await insertOnce(em, Notification, record)) {
          records.push(record);
          continue;
        }
        const existing = await em.findOne(Notification, { subjectId: n.subjectId, participantId: n.participantId, kind: n.kind });
        if (!existing || existing.id !== n.id) {
          throw new DvctError('CONFLICT', `Notification id ${n.id} does not match its subject, participant and kind`, { notificationId: n.id });
        }
        records.push(toNotificationRecord(existing));
      }
      return records;
    },

    async getNotification(id) {
      const row = await session(orm).findOne(Notification, { id });
      return row ? toNotificationRecord(row) : null;
    },

    async recordDeliveryAttempt(id, r) {
      const em = session(orm);
      const now = new Date();
      // One statement, so concurrent attempts each count: attempts = attempts + 1 in the database.
      await em
        .createQueryBuilder(Notification)
        .update({
          attempts: raw('attempts + 1'),
          deliveryStatus: r.ok ? 'delivered' : 'pending',
          lastStatusCode: r.statusCode ?? null,
          lastError: r.ok ? null : (r.error ?? null),
          ...(r.ok ? { deliveredAt: now } : {}),
        })
        .where({ id, deliveryStatus: 'pending' })
        .execute();
      return findOrFail(id);
    },

    async markDeliveryFailed(id, error) {
      const updated = await session(orm).nativeUpdate(Notification, { id, deliveryStatus: 'pending' }, { deliveryStatus: 'failed', lastError: error });
      if (updated === 0) await findOrFail(id);
    },

    async listNotifications(filter) {
      const where = {
        ...(filter.subjectId !== undefined ? { subjectId: filter.subjectId } : {}),
        ...(filter.participantId !== undefined ? { participantId: filter.participantId } : {}),
      };
      const rows = await session(orm).find(Notification, where, { orderBy: { createdAt: 'asc', id: 'asc' } });
      return rows.map(toNotificationRecord);
    },

    async notificationFeed(participantId, { since, limit }) {
      const rows = await session(orm).find(
        Notification,
        { participantId, ...(since ? { createdAt: { $gt: since } } : {}) },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit },
      );
      return rows.map(toNotificationRecord);
    },
  };
}

function toNotificationRecord(row: NotificationRow): NotificationRecord {
  return {
    id: row.id,
    subjectId: row.subjectId,
    participantId: row.participantId,
    kind: row.kind,
    payload: row.payload,
    webhookUrl: row.webhookUrl ?? null,
    deliveryStatus: row.deliveryStatus,
    attempts: row.attempts,
    lastError: row.lastError ?? null,
    lastStatusCode: row.lastStatusCode ?? null,
    deliveredAt: row.deliveredAt ?? null,
    createdAt: row.createdAt,
  };
}
