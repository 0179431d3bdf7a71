import type { LocalAccount } from 'viem';
import type { Directory } from '../domain/directory';
import { DvctError } from '../domain/errors';
import { signPeerRequest } from './peer-signature';

/**
 * The one HTTP client for peer DVCT instances: every request signed by this instance's signer,
 * bounded by OUTGOING_TIMEOUT_MS. Answers the peer's status and JSON body; a peer that cannot be
 * reached is DEPENDENCY_UNAVAILABLE (retryable), so the caller decides how long to keep trying.
 */
export interface PeerClient {
  request(to: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export function createPeerClient(opts: { directory: Directory; account: LocalAccount; timeoutMs: number }): PeerClient {
  return {
    async request(to, method, path, body) {
      const peer = opts.directory.instance(to);
      if (!peer) throw new DvctError('NOT_FOUND', `Instance ${to} is not in the directory`);
      const headers = await signPeerRequest(opts.account, { method, path, body: body ?? null, from: opts.directory.self, to, timestamp: Math.floor(Date.now() / 1000) });
      let res: Response;
      try {
        res = await fetch(`${peer.url}${path}`, {
          method,
          headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
      } catch (err) {
        throw new DvctError('DEPENDENCY_UNAVAILABLE', `Instance ${to} at ${peer.url} did not answer: ${err instanceof Error ? err.message : String(err)}`);
      }
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { detail: text.slice(0, 200) };
      }
      return { status: res.status, body: parsed };
    },
  };
}
