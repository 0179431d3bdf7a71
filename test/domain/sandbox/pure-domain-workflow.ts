import { unitsToPoints } from '../../../domain/amounts';
import { checkExchangeAgainstContract } from '../../../domain/contract-rules';
import { computeExchangeDistribution, type DistributionInput } from '../../../domain/incentives';
import { computePoolDistribution } from '../../../domain/pool';
import type { UseCaseContract } from '../../../domain/types';

/** A workflow that uses every pure domain module, so bundling it proves they are fit for Temporal's sandbox. */
export async function pureDomainWorkflow(input: DistributionInput, pool: UseCaseContract): Promise<string[]> {
  const check = checkExchangeAgainstContract({
    contract: input.contract,
    report: input.report,
    now: new Date(),
    registeredParticipantIds: new Set([input.report.dataProviderId, input.report.dataConsumerId]),
  });
  if (!check.ok) return [check.code];
  return [computeExchangeDistribution(input).totalDue, computePoolDistribution(pool).totalDue].map(unitsToPoints);
}
