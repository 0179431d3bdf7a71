import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config/config';
import type { ApiKeyRecord, GrantRecord, ParticipantRecord } from '../db/records';
import type { Store } from '../db/store';
import { DvctError } from '../domain/errors';
import type { AppEnv } from './context';

/**
 * API keys: `dvct_<keyId>_<secret>`. The database keeps the keyId and sha256(secret) only, so a
 * leaked database does not leak keys, and the keyId lets logs and the audit trail say which key
 * acted without the key itself. Comparisons are constant-time. A key authenticates while it is
 * not revoked; what it may do is decided per request from its grants (api/authorize.ts).
 *
 * The operator key is DVCT_OPERATOR_KEY when set (any string of 24+ characters); otherwise one
 * generated on first start whose sha256 is kept in the `operator-key-hash` setting.
 */

export type Principal =
  | { kind: 'operator' }
  | {
      kind: 'participant';
      participant: ParticipantRecord;
      key: ApiKeyRecord;
      /** What the key acts by: its own grants and, unless restricted, its organisation's (revoked ones left out). */
      grants: GrantRecord[];
    };

/**
 * Whom a decision is about: a principal, or an organisation acting by its own grants with no key
 * of this instance — as when a peer instance asks on behalf of an organisation it serves.
 */
export type Actor = { kind: 'operator' } | { kind: 'participant'; participant: ParticipantRecord; grants: GrantRecord[] };

export const OPERATOR_KEY_SETTING = 'operator-key-hash';
const KEY_PATTERN = /^dvct_([0-9a-f]{12})_([A-Za-z0-9_-]{43,})$/;

export interface IssuedKey {
  /** The whole key, shown once to its owner. */
  key: string;
  keyId: string;
  /** sha256(secret), hex: what the database keeps. */
  secretHash: string;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function issueApiKey(): IssuedKey {
  const keyId = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `dvct_${keyId}_${secret}`, keyId, secretHash: sha256(secret).toString('hex') };
}

function sameHash(a: Buffer, hexB: string): boolean {
  const b = Buffer.from(hexB, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Makes sure an operator key exists. Returns the new key only when this call created it: the
 * caller prints it once; later starts (or a process that lost the race) get `created: false`.
 */
export async function ensureOperatorKey(
  config: Config,
  store: Store,
): Promise<{ source: 'environment' } | { source: 'stored' } | { source: 'created'; key: string }> {
  if (config.api.operatorKey) return { source: 'environment' };
  if (await store.getSetting(OPERATOR_KEY_SETTING)) return { source: 'stored' };
  const issued = issueApiKey();
  const hash = sha256(issued.key).toString('hex');
  const stored = await store.setSettingIfAbsent(OPERATOR_KEY_SETTING, hash);
  return stored === hash ? { source: 'created', key: issued.key } : { source: 'stored' };
}

/** sha256 of the operator key, from the environment or the setting; cached once known (it never changes). */
function operatorKeyHash(config: Config, store: Store): () => Promise<string | null> {
  const fromEnv = config.api.operatorKey ? sha256(config.api.operatorKey).toString('hex') : null;
  let known: string | null = fromEnv;
  return async () => (known ??= await store.getSetting(OPERATOR_KEY_SETTING));
}

function bearerToken(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

// Compared against when the keyId is unknown, so a miss costs the same as a wrong secret.
const DECOY_HASH = sha256('dvct-decoy').toString('hex');

export function authenticate(config: Config, store: Store): MiddlewareHandler<AppEnv> {
  const operatorHash = operatorKeyHash(config, store);

  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new DvctError('UNAUTHENTICATED', 'Send your API key as `Authorization: Bearer <key>`.');

    const tokenHash = sha256(token);
    const opHash = await operatorHash();
    if (opHash && sameHash(tokenHash, opHash)) {
      c.set('principal', { kind: 'operator' });
      c.set('keyId', 'operator');
      return next();
    }

    const parts = KEY_PATTERN.exec(token);
    const key = parts ? await store.findApiKey(parts[1]!) : null;
    const secretHash = sha256(parts?.[2] ?? token);
    if (!sameHash(secretHash, key?.secretHash ?? DECOY_HASH) || !key) throw new DvctError('UNAUTHENTICATED', 'The API key is not valid.');
    if (key.revokedAt) throw new DvctError('UNAUTHENTICATED', `The API key ${key.keyId} was ${key.replacedBy ? `rotated (replaced by ${key.replacedBy})` : 'revoked'}.`);
    const [participant, grants] = await Promise.all([store.getParticipant(key.participantId), store.grantsOfKey(key)]);
    if (!participant) throw new DvctError('UNAUTHENTICATED', 'The API key is not valid.');
    // The key is genuine, so say why it may do nothing: its grants are kept for the reinstatement.
    if (participant.suspendedAt) {
      throw new DvctError(
        'ORGANISATION_SUSPENDED',
        `Organisation ${participant.id} is suspended by the operator since ${participant.suspendedAt.toISOString()} (${participant.suspensionReason ?? 'no reason given'}): its keys can do nothing until it is reinstated.`,
        { participantId: participant.id },
      );
    }
    c.set('principal', { kind: 'participant', participant, key, grants });
    c.set('keyId', key.keyId);
    return next();
  };
}

/** Who acted, as logs and the audit trail name it: 'operator' or the participant id. */
export function actorOf(p: Principal): string {
  return p.kind === 'operator' ? 'operator' : p.participant.id;
}
