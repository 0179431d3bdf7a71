import type { RecordedNotifications } from '../activities/notifications';
import { act, webhooks } from './activities';

/**
 * Delivers recorded notifications, each webhook on its own retries. A receiver that stays down
 * fails neither the run nor the others: its notification is marked failed and stays in its feed.
 * Returns how many notifications were recorded.
 */
export async function deliverNotifications({ notificationIds, deliveries }: RecordedNotifications): Promise<number> {
  await Promise.all(
    deliveries.map(async (d) => {
      try {
        await webhooks.deliverWebhook.executeWithOptions({ summary: `webhook to ${d.participantId}` }, [{ notificationId: d.notificationId }]);
      } catch (err) {
        await act.markDeliveryFailed({ notificationId: d.notificationId, error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
  return notificationIds.length;
}
