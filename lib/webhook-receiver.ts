import { DEFAULT_TOLERANCE_SECONDS, verifySignature } from './webhook-signature';

/**
 * What a participant's webhook receiver does with each delivery, as DVCT's tests run it and the
 * README shows it: check the signature and its age, refuse a request seen before (a replay of
 * captured bytes carries the same signature), and tell a DVCT retry of a delivery already handled
 * (new signature, same delivery id) so it is acknowledged without being processed twice.
 *
 * Signatures are remembered only for the tolerance window: anything older fails as expired anyway.
 * Delivery ids are remembered for the receiver's lifetime here; a real receiver keeps them with
 * what it processed.
 */
export type DeliveryCheck =
  | { ok: true; deliveryId: string; duplicate: boolean }
  | { ok: false; reason: 'malformed' | 'mismatch' | 'expired' | 'replayed' };

export class WebhookReceiver {
  private readonly signatures = new Map<string, number>();
  private readonly deliveries = new Set<string>();

  constructor(
    private readonly secret: string,
    private readonly toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  ) {}

  check(rawBody: string, signatureHeader: string | null | undefined, nowSeconds: number): DeliveryCheck {
    const signature = verifySignature(this.secret, rawBody, signatureHeader, nowSeconds, this.toleranceSeconds);
    if (!signature.ok) return signature;
    for (const [mac, t] of this.signatures) if (t < nowSeconds - this.toleranceSeconds) this.signatures.delete(mac);
    const mac = signatureHeader!.split('v1=')[1]!;
    if (this.signatures.has(mac)) return { ok: false, reason: 'replayed' };
    this.signatures.set(mac, signature.timestamp);
    // The id inside the signed body, not the x-dvct-delivery header, which nothing signs.
    const deliveryId = (JSON.parse(rawBody) as { id?: unknown }).id;
    if (typeof deliveryId !== 'string') return { ok: false, reason: 'malformed' };
    const duplicate = this.deliveries.has(deliveryId);
    this.deliveries.add(deliveryId);
    return { ok: true, deliveryId, duplicate };
  }
}
