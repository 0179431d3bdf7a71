import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookReceiver, type DeliveryCheck } from '../../lib/webhook-receiver';

/** One POST a participant's endpoint received, and what its receiver made of it. */
export interface Delivery {
  participantId: string;
  event: string | undefined;
  body: { id: string; kind: string; subjectId: string; participantId: string; data: Record<string, any> };
  check: DeliveryCheck;
}

/**
 * A local endpoint for the participants of a test: each at `<url>/<participantId>`, each checked
 * the way a real receiver does it (lib/webhook-receiver.ts, with that participant's secret, learned
 * once it registered). A delivery that does not verify is answered 401 and still recorded.
 */
export interface WebhookSink {
  urlFor(participantId: string): string;
  trust(participantId: string, webhookSecret: string): void;
  readonly deliveries: Delivery[];
  /** The first delivery matching, waiting for it up to `timeoutMs`. */
  waitFor(match: (d: Delivery) => boolean, timeoutMs?: number): Promise<Delivery>;
  close(): Promise<void>;
}

export async function startWebhookSink(): Promise<WebhookSink> {
  const receivers = new Map<string, WebhookReceiver>();
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      const participantId = decodeURIComponent((req.url ?? '/').slice(1));
      const receiver = receivers.get(participantId);
      const check: DeliveryCheck = receiver
        ? receiver.check(raw, req.headers['x-dvct-signature'] as string | undefined, Math.floor(Date.now() / 1000))
        : { ok: false, reason: 'mismatch' };
      deliveries.push({ participantId, event: req.headers['x-dvct-event'] as string | undefined, body: JSON.parse(raw), check });
      res.writeHead(check.ok ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    urlFor: (participantId) => `${base}/${encodeURIComponent(participantId)}`,
    trust: (participantId, secret) => void receivers.set(participantId, new WebhookReceiver(secret)),
    deliveries,
    async waitFor(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = deliveries.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such delivery; received: ${deliveries.map((d) => `${d.participantId}:${d.event}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
