import { Allocation } from '../entities/allocation';
import type { Orm } from '../orm';

export interface ReconciliationStore {
  /** Exchanges (and settlements) with an allocation recorded since `since`, oldest first: what the reconciliation re-checks. */
  listRecentlyAllocatedExchanges(since: Date): Promise<string[]>;
}

export function reconciliationStore(orm: Orm): ReconciliationStore {
  return {
    async listRecentlyAllocatedExchanges(since) {
      const rows = await orm.em
        .fork()
        .createQueryBuilder(Allocation)
        .select('exchangeId', true)
        .where({ createdAt: { $gte: since } })
        .orderBy({ exchangeId: 'asc' })
        .execute<{ exchangeId: string }[]>('all');
      return rows.map((r) => r.exchangeId);
    },
  };
}
