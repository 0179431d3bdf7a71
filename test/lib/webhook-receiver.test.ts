import { describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../lib/webhook-receiver';
import { signPayload, verifySignature } from '../../lib/webhook-signature';

const SECRET = 'a'.repeat(64);
const NOW = 1_790_000_000;
const body = (id: string) => JSON.stringify({ id, kind: 'distribution-allocated', data: { points: '5' } });

describe('a webhook receiver', () => {
  it('takes a signed delivery once; the same bytes again are a replay and refused', () => {
    const receiver = new WebhookReceiver(SECRET);
    const signature = signPayload(SECRET, body('ntf-1'), NOW);
    expect(receiver.check(body('ntf-1'), signature, NOW)).toEqual({ ok: true, deliveryId: 'ntf-1', duplicate: false });
    expect(receiver.check(body('ntf-1'), signature, NOW + 2)).toEqual({ ok: false, reason: 'replayed' });
  });

  it('acknowledges a DVCT retry of a delivery it handled (new signature, same id) as a duplicate', () => {
    const receiver = new WebhookReceiver(SECRET);
    receiver.check(body('ntf-2'), signPayload(SECRET, body('ntf-2'), NOW), NOW);
    expect(receiver.check(body('ntf-2'), signPayload(SECRET, body('ntf-2'), NOW + 30), NOW + 30)).toEqual({ ok: true, deliveryId: 'ntf-2', duplicate: true });
  });

  it('refuses a changed body, another secret, an old or future timestamp, and a malformed header', () => {
    const receiver = new WebhookReceiver(SECRET);
    const signature = signPayload(SECRET, body('ntf-3'), NOW);
    expect(receiver.check(body('ntf-4'), signature, NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(receiver.check(body('ntf-3'), signPayload('b'.repeat(64), body('ntf-3'), NOW), NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(receiver.check(body('ntf-3'), signature, NOW + 301)).toEqual({ ok: false, reason: 'expired' });
    expect(receiver.check(body('ntf-3'), signature, NOW - 301)).toEqual({ ok: false, reason: 'expired' });
    for (const header of [undefined, '', 't=abc,v1=00', `t=${NOW}`, `v1=${'0'.repeat(64)}`]) {
      expect(receiver.check(body('ntf-3'), header, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
    // Still good within the window: none of the refusals above took it.
    expect(receiver.check(body('ntf-3'), signature, NOW + 300).ok).toBe(true);
  });

  it('signs "<t>.<body>" with HMAC-SHA256, as the README tells receivers', async () => {
    const { createHmac } = await import('node:crypto');
    const signature = signPayload(SECRET, '{"a":1}', NOW);
    expect(signature).toBe(`t=${NOW},v1=${createHmac('sha256', SECRET).update(`${NOW}.{"a":1}`).digest('hex')}`);
    expect(verifySignature(SECRET, '{"a":1}', signature, NOW)).toEqual({ ok: true, timestamp: NOW });
  });
});
