import { Allocation } from '../entities/allocation';
import type { Orm } from '../orm';
import { session } from './support';

export interface ReconciliationStore {
  /**
   * Exchanges (and settlements) allocated since `since` that still hold a line: what the
   * reconciliation re-checks. Released and revoked are final on chain, so an exchange whose lines
   * are all settled in the database (after its run, or an incident, matched them to the chain)
   * cannot drift any more and is not read again.
   */
  listExchangesStillHolding(since: Date): Promise<string[]>;
}

export function reconciliationStore(orm: Orm): ReconciliationStore {
  return {
    async listExchangesStillHolding(since) {
      const rows = await session(orm)
        .createQueryBuilder(Allocation)
        .select('exchangeId', true)
        .where({ createdAt: { $gte: since }, status: 'allocated' })
        .orderBy({ exchangeId: 'asc' })
        .execute<{ exchangeId: string }[]>('all');
      return rows.map((r) => r.exchangeId);
    },
  };
}
