import { checkExchangeAgainstContract, suspendedPartyCheck } from '../domain/contract-rules';
import { DvctError } from '../domain/errors';
import type { ExchangeReport, UseCaseContract } from '../domain/types';
import type { ActivityDeps } from './deps';

/** Step 1: is the use-case contract in our registry, in force, and binding these parties? */
export function contractActivities({ store }: ActivityDeps) {
  return {
    async verifyContract(args: { exchangeId: string; report: ExchangeReport; at: string }): Promise<{ contract: UseCaseContract }> {
      const { report } = args;
      const contract = await store.getContract(report.usecaseContractId);
      const ids = [report.dataProviderId, report.dataConsumerId, ...(contract ? [contract.orchestratorId] : [])];
      const parties = await store.getParticipants(ids);
      const registered = new Set(parties.map((p) => p.id));
      const verdict = checkExchangeAgainstContract({ contract, report, now: new Date(args.at), registeredParticipantIds: registered });
      if (!verdict.ok) throw new DvctError(verdict.code, verdict.message, verdict.details);
      const active = suspendedPartyCheck(parties);
      if (!active.ok) throw new DvctError(active.code, active.message, active.details);
      // The orchestrator pays the AI provider's extra incentive, so it must hold a wallet with us.
      if (report.dataConsumerIsAIProvider && contract!.extraIncentiveForAIProvider && !registered.has(contract!.orchestratorId)) {
        throw new DvctError('UNKNOWN_PARTICIPANT', `The orchestrator ${contract!.orchestratorId} of ${contract!.id} is not registered`);
      }
      return { contract: contract! };
    },

    async verifyPool(args: { settlementId: string; contractId: string; at: string }): Promise<{ contract: UseCaseContract }> {
      const contract = await store.getContract(args.contractId);
      if (!contract) throw new DvctError('CONTRACT_NOT_FOUND', `No use-case contract ${args.contractId} in the registry`);
      const at = new Date(args.at).getTime();
      if (at < Date.parse(contract.validFrom) || (contract.validUntil !== null && at > Date.parse(contract.validUntil))) {
        throw new DvctError('CONTRACT_NOT_IN_FORCE', `${contract.id} is in force from ${contract.validFrom} until ${contract.validUntil ?? 'further notice'}, not at ${args.at}`);
      }
      if (!contract.rewardPool) throw new DvctError('NO_REWARD_POOL', `${contract.id} defines no reward pool`);
      const ids = [contract.orchestratorId, ...contract.rewardPool.weights.map((w) => w.participantId)];
      const parties = await store.getParticipants(ids);
      const registered = new Set(parties.map((p) => p.id));
      const missing = ids.filter((id) => !registered.has(id));
      if (missing.length > 0) throw new DvctError('UNKNOWN_PARTICIPANT', `Not registered: ${missing.join(', ')}`, { missing });
      const active = suspendedPartyCheck(parties);
      if (!active.ok) throw new DvctError(active.code, active.message, active.details);
      return { contract };
    },
  };
}
