import { createHash } from 'node:crypto';

/**
 * Canonical JSON (object keys sorted, no whitespace) and its SHA-256. The hashes anchored on
 * chain are computed from it, so any member holding the same record recomputes the same hash.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** 0x-prefixed SHA-256 of the canonical JSON: a bytes32 for the ledger's events. */
export function hashRecord(value: unknown): `0x${string}` {
  return `0x${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}
