import { isErrorCode } from '../domain/errors';
import type { ExchangeStatus } from '../domain/types';
import type { ActivityDeps } from './deps';

/** The exchange record's final word when a run ends other than by release. */
export function outcomeActivities({ store }: ActivityDeps) {
  return {
    async markExchangeOutcome(args: {
      exchangeId: string;
      status: Exclude<ExchangeStatus, 'running' | 'completed'>;
      error: { code: string; message: string; details: unknown };
    }): Promise<void> {
      const { code, message, details } = args.error;
      await store.updateExchange(args.exchangeId, {
        status: args.status,
        stage: args.status,
        error: { code: isErrorCode(code) ? code : 'INTERNAL', message, details },
      });
    },
  };
}
