import { z } from 'zod';
import { DvctError } from '../domain/errors';
import type { ActivityDeps } from './deps';

const answer = z.object({ factor: z.number().min(0).max(1) });

/**
 * The data-quality check behind `factorCheck: true` (the design document's Data Veracity
 * Assurance building block). Pluggable: with DVCT_QUALITY_CHECK_URL set, that service is asked;
 * without it the contract's own factor stands.
 */
export function qualityActivities({ qualityCheckUrl, outgoingTimeoutMs }: ActivityDeps) {
  return {
    async checkDataQuality(args: {
      dataId: string;
      dataProviderId: string;
      usecaseContractId: string;
      termName: string;
      contractFactor: number;
    }): Promise<{ factor: number; source: 'quality-service' | 'contract' }> {
      if (!qualityCheckUrl) return { factor: args.contractFactor, source: 'contract' };
      const res = await fetch(qualityCheckUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataId: args.dataId, dataProviderId: args.dataProviderId, usecaseContractId: args.usecaseContractId, term: args.termName }),
        signal: AbortSignal.timeout(outgoingTimeoutMs),
      });
      if (!res.ok) throw new DvctError('QUALITY_CHECK_FAILED', `The quality check answered HTTP ${res.status}`);
      const parsed = answer.safeParse(await res.json().catch(() => null));
      if (!parsed.success) throw new DvctError('QUALITY_CHECK_FAILED', 'The quality check did not answer {"factor": 0..1}');
      // The factor feeds exact integer maths: keep the 6 decimals the contract rules allow.
      return { factor: Math.floor(parsed.data.factor * 1e6) / 1e6, source: 'quality-service' };
    },
  };
}
