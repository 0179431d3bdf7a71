import { DvctError } from '../domain/errors';
import { buildRunEvent } from '../lib/openlineage/event';
import { runEventSource } from '../lib/openlineage/source';
import type { ActivityDeps } from './deps';
import { mayPassOnRetry } from './outgoing';

type OpenLineageDeps = Pick<ActivityDeps, 'store' | 'instance' | 'openLineage' | 'outgoingTimeoutMs'>;

/**
 * Publishes an exchange to an OpenLineage consumer (Marquez or any other), so DVCT lineage shows
 * next to the rest of an organisation's lineage. Optional: without OPENLINEAGE_URL it does nothing.
 * The event is rebuilt from the database on every attempt and keeps its run id, so a retry or a
 * second push after a later stage updates the same run at the receiver.
 */
export function openLineageActivities({ store, instance, openLineage, outgoingTimeoutMs }: OpenLineageDeps) {
  return {
    async pushOpenLineageEvent(args: { exchangeId: string }): Promise<{ pushed: boolean; statusCode?: number }> {
      if (!openLineage.url) return { pushed: false };
      const exchange = await store.getExchange(args.exchangeId);
      if (!exchange) throw new DvctError('NOT_FOUND', `No exchange ${args.exchangeId}`, { exchangeId: args.exchangeId });
      const source = await runEventSource(store, instance, exchange, await store.getAllocations(exchange.id));

      let res: Response;
      try {
        res = await fetch(openLineage.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(openLineage.apiKey ? { authorization: `Bearer ${openLineage.apiKey}` } : {}),
          },
          body: JSON.stringify(buildRunEvent(source)),
          redirect: 'manual',
          signal: AbortSignal.timeout(outgoingTimeoutMs),
        });
      } catch (err) {
        throw new Error(`OpenLineage endpoint ${openLineage.url} unreachable: ${err instanceof Error ? err.message : String(err)}`);
      }
      // The body is not needed; reading it frees the connection.
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) return { pushed: true, statusCode: res.status };
      if (mayPassOnRetry(res.status)) throw new Error(`OpenLineage endpoint answered HTTP ${res.status}`);
      throw new DvctError('OPENLINEAGE_REJECTED', `OpenLineage endpoint ${openLineage.url} answered HTTP ${res.status}`, { statusCode: res.status });
    },
  };
}
