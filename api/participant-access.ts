import type { Context } from 'hono';
import type { ParticipantRecord } from '../db/records';
import type { Store } from '../db/store';
import type { Permission } from '../domain/authority';
import { authorize, notFound, participantObject } from './authorize';
import type { AppEnv } from './context';

/**
 * An organisation as the caller may act on it (its record, balance, feed, report). Another
 * organisation's id answers 404 whether it exists or not, so a key cannot probe which ids exist.
 */
export async function authorizedParticipant(c: Context<AppEnv>, store: Store, permission: Permission, id: string): Promise<ParticipantRecord> {
  const participant = await store.getParticipant(id);
  if (!participant) throw notFound({ label: `participant ${id}` });
  authorize(c, permission, participantObject(participant));
  return participant;
}
