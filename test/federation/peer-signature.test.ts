import fc from 'fast-check';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { parseDirectory } from '../../domain/directory';
import { checkPeerRequest, PEER_HEADERS, peerSigningPayload, signPeerRequest } from '../../lib/peer-signature';

const senderAccount = privateKeyToAccount(generatePrivateKey());
const receiverAccount = privateKeyToAccount(generatePrivateKey());
const file = {
  instances: [
    { instanceId: 'dvct-a', url: 'http://a.test', signerAddress: senderAccount.address, participants: [] },
    { instanceId: 'dvct-b', url: 'http://b.test', signerAddress: receiverAccount.address, participants: [] },
  ],
};
const receiver = parseDirectory(file, { instanceId: 'dvct-b', publicUrl: 'http://b.test', signerAddress: receiverAccount.address });
const now = 1_800_000_000;
const request = { method: 'POST', path: '/v1/peer/prevroot-updates', body: { requestId: 'r-1', depth: 1 } };

async function signed(over: Partial<{ from: string; to: string; timestamp: number; body: unknown }> = {}, account = senderAccount) {
  const h = await signPeerRequest(account, { ...request, from: 'dvct-a', to: 'dvct-b', timestamp: now, ...over });
  return { instance: h[PEER_HEADERS.instance], timestamp: h[PEER_HEADERS.timestamp], signature: h[PEER_HEADERS.signature] };
}

describe('signed requests between instances', () => {
  it('accepts a request signed by a listed instance, to this instance, just now', async () => {
    expect(await checkPeerRequest(receiver, await signed(), request, now + 10)).toEqual({ ok: true, from: 'dvct-a' });
  });

  it('refuses an unknown sender, a stale timestamp, another signer, a request for another instance, an altered body', async () => {
    expect(await checkPeerRequest(receiver, { ...(await signed()), instance: 'dvct-z' }, request, now)).toMatchObject({ reason: 'unknown-instance' });
    expect(await checkPeerRequest(receiver, await signed(), request, now + 301)).toMatchObject({ reason: 'expired' });
    expect(await checkPeerRequest(receiver, await signed({}, receiverAccount), request, now)).toMatchObject({ reason: 'bad-signature' });
    expect(await checkPeerRequest(receiver, await signed({ to: 'dvct-c' }), request, now)).toMatchObject({ reason: 'bad-signature' });
    expect(await checkPeerRequest(receiver, await signed(), { ...request, body: { requestId: 'r-2', depth: 1 } }, now)).toMatchObject({ reason: 'bad-signature' });
    expect(await checkPeerRequest(receiver, { instance: 'dvct-a', timestamp: 'soon', signature: '0x00' }, request, now)).toMatchObject({ reason: 'malformed' });
  });

  it('signs a payload that does not depend on key order and changes with every field', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.integer()), fc.string({ minLength: 1, maxLength: 8 }), (body, path) => {
        const m = { method: 'post', path: `/${path}`, body, from: 'dvct-a', to: 'dvct-b', timestamp: now };
        const reversed = Object.fromEntries(Object.entries(body).reverse());
        expect(peerSigningPayload({ ...m, body: reversed })).toBe(peerSigningPayload(m));
        expect(peerSigningPayload({ ...m, to: 'dvct-c' })).not.toBe(peerSigningPayload(m));
        expect(peerSigningPayload({ ...m, timestamp: now + 1 })).not.toBe(peerSigningPayload(m));
        expect(peerSigningPayload({ ...m, path: `/x${path}` })).not.toBe(peerSigningPayload(m));
      }),
    );
  });
});
