import { verifyMessage, type Hex, type LocalAccount } from 'viem';
import type { Directory } from '../domain/directory';
import { canonicalJson } from './record-hash';

/**
 * Requests between DVCT instances are signed by the sending instance's chain signer (secp256k1,
 * EIP-191 personal message) over the canonical JSON of what the request means: method, path,
 * body, when it was sent and to which instance. The receiver knows every member's signer address
 * from the directory, so no shared secret exists to leak; binding the target and the path stops a
 * request signed for one peer or one endpoint from being played against another.
 */
export const PEER_HEADERS = { instance: 'x-dvct-instance', timestamp: 'x-dvct-timestamp', signature: 'x-dvct-signature' } as const;

/** How far a request's timestamp may be from the receiver's clock. */
export const PEER_CLOCK_SKEW_SECONDS = 300;

export interface PeerRequestMeaning {
  method: string;
  /** Path and query exactly as sent, e.g. `/v1/peer/prevroot-updates`. */
  path: string;
  body: unknown;
  from: string;
  to: string;
  /** Unix seconds. */
  timestamp: number;
}

/** The text both sides sign and check: pure, so a test can show any change to it breaks the signature. */
export function peerSigningPayload(m: PeerRequestMeaning): string {
  return canonicalJson({ v: 1, method: m.method.toUpperCase(), path: m.path, body: m.body ?? null, from: m.from, to: m.to, timestamp: m.timestamp });
}

export async function signPeerRequest(account: LocalAccount, m: PeerRequestMeaning): Promise<Record<string, string>> {
  const signature = await account.signMessage({ message: peerSigningPayload(m) });
  return { [PEER_HEADERS.instance]: m.from, [PEER_HEADERS.timestamp]: String(m.timestamp), [PEER_HEADERS.signature]: signature };
}

export type PeerCheck = { ok: true; from: string } | { ok: false; reason: 'malformed' | 'unknown-instance' | 'expired' | 'bad-signature' };

/** The receiver's check: a listed instance, a fresh timestamp, a signature by that instance's signer over this request to us. */
export async function checkPeerRequest(
  directory: Directory,
  headers: { instance: string | undefined; timestamp: string | undefined; signature: string | undefined },
  request: { method: string; path: string; body: unknown },
  nowSeconds: number,
): Promise<PeerCheck> {
  const { instance, timestamp, signature } = headers;
  if (!instance || !timestamp || !/^\d{1,12}$/.test(timestamp) || !signature || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return { ok: false, reason: 'malformed' };
  const sender = directory.instance(instance);
  if (!sender || instance === directory.self) return { ok: false, reason: 'unknown-instance' };
  const t = Number(timestamp);
  if (Math.abs(nowSeconds - t) > PEER_CLOCK_SKEW_SECONDS) return { ok: false, reason: 'expired' };
  const message = peerSigningPayload({ ...request, from: instance, to: directory.self, timestamp: t });
  const valid = await verifyMessage({ address: sender.signerAddress as Hex, message, signature: signature as Hex }).catch(() => false);
  return valid ? { ok: true, from: instance } : { ok: false, reason: 'bad-signature' };
}
