import type { MiddlewareHandler } from 'hono';
import type { Directory } from '../domain/directory';
import { DvctError } from '../domain/errors';
import { checkPeerRequest, PEER_HEADERS } from '../lib/peer-signature';
import type { AppEnv } from './context';

const REFUSALS = {
  malformed: `Send ${PEER_HEADERS.instance}, ${PEER_HEADERS.timestamp} (unix seconds) and ${PEER_HEADERS.signature} (0x…).`,
  'unknown-instance': 'The sending instance is not in this instance\'s directory.',
  expired: 'The request\'s timestamp is more than 5 minutes from this instance\'s clock.',
  'bad-signature': 'The signature is not the sending instance\'s signer over this request to this instance.',
} as const;

/**
 * Authenticates /v1/peer/* by the sending instance's signature instead of an API key: the
 * instance must be in the directory, the timestamp fresh, the signature its signer's over this
 * method, path, body and this instance as the target. Refusals are 401 in the one error format.
 */
export function authenticatePeer(directory: Directory): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    let body: unknown = null;
    if (method !== 'GET' && method !== 'HEAD') {
      // The body is checked as JSON; a malformed one is the JSON middleware's 400, after this.
      body = await c.req.json().catch(() => null);
    }
    const url = new URL(c.req.url);
    const check = await checkPeerRequest(
      directory,
      { instance: c.req.header(PEER_HEADERS.instance), timestamp: c.req.header(PEER_HEADERS.timestamp), signature: c.req.header(PEER_HEADERS.signature) },
      { method, path: `${url.pathname}${url.search}`, body },
      Math.floor(Date.now() / 1000),
    );
    if (!check.ok) throw new DvctError('UNAUTHENTICATED', REFUSALS[check.reason], { reason: check.reason });
    c.set('peer', check.from);
    c.set('keyId', `instance:${check.from}`);
    return next();
  };
}
