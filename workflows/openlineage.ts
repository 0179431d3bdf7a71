import { patched } from '@temporalio/workflow';
import { act } from './activities';

/**
 * Publishes the exchange's final state to the configured OpenLineage endpoint (a no-op activity
 * when none is configured). After its retries a receiver that stays down fails neither the
 * exchange nor its record: the event stays readable at GET /v1/exchanges/{id}/openlineage.
 * Behind a patch marker, so runs started before the push existed replay unchanged.
 */
export async function publishLineage(exchangeId: string): Promise<void> {
  if (!patched('openlineage-push')) return;
  try {
    await act.pushOpenLineageEvent.executeWithOptions({ summary: 'OpenLineage RunEvent push' }, [{ exchangeId }]);
  } catch {
    // Deliberately swallowed: see above.
  }
}
