import { Client, Connection } from '@temporalio/client';
import { callApi, depositFromWallet, registerMember, type Member } from '../client/dvct-client';
import type { EmbeddedDvct } from './embedded-dvct';

/**
 * The members of a benchmark or soak run, acting through the real API over HTTP as connectors do:
 * an orchestrator, a data provider and a consumer that pays the provider per exchange from a
 * deposit it made from its own wallet.
 */
export interface Members {
  orchestrator: Member;
  provider: Member;
  consumer: Member;
  contractId: string;
  /** What the consumer pays the provider per exchange, in points. */
  pointsPerExchange: number;
  depositPoints: number;
  temporal: Client;
  close(): Promise<void>;
}

export async function setUpMembers(
  dvct: EmbeddedDvct,
  opts: { exchanges: number; pointsPerExchange: number; verificationWindowSeconds: number },
): Promise<Members> {
  const connection = await Connection.connect({ address: dvct.temporalAddress });
  const temporal = new Client({ connection, namespace: dvct.namespace });
  const depositPoints = opts.exchanges * opts.pointsPerExchange;
  const orchestrator = await registerMember(dvct, { id: 'bench-orchestrator', roles: ['orchestrator'] });
  const provider = await registerMember(dvct, { id: 'bench-provider', roles: ['data-provider'] });
  const consumer = await registerMember(dvct, { id: 'bench-consumer', roles: ['data-consumer'], initialPoints: depositPoints });
  await depositFromWallet(dvct.rpcUrl, dvct.deployment, consumer, depositPoints);

  const contractId = 'uc-bench';
  await callApi(dvct.apiUrl, 'POST', '/v1/contracts', dvct.operatorKey, {
    id: contractId,
    title: 'Benchmark contract',
    orchestratorId: orchestrator.id,
    parties: [
      { participantId: orchestrator.id, roles: ['orchestrator'] },
      { participantId: provider.id, roles: ['data-provider'] },
      { participantId: consumer.id, roles: ['data-consumer'] },
    ],
    validFrom: new Date(Date.now() - 60_000).toISOString(),
    validUntil: null,
    incentiveForDataProvider: { numPoints: opts.pointsPerExchange, factor: 1, factorCheck: false },
    extraIncentiveForAIProvider: null,
    upstream: null,
    rewardPool: null,
    verificationWindowSeconds: opts.verificationWindowSeconds,
  });
  return {
    orchestrator,
    provider,
    consumer,
    contractId,
    pointsPerExchange: opts.pointsPerExchange,
    depositPoints,
    temporal,
    close: () => connection.close(),
  };
}

/** Reports exchange `index` as the consumer's connector; answers the exchange and workflow ids. */
export function postExchange(dvct: EmbeddedDvct, members: Members, index: number): Promise<{ exchangeId: string; workflowId: string }> {
  return callApi(dvct.apiUrl, 'POST', '/v1/exchanges', members.consumer.apiKey, {
    dvctId: 'bench-connector',
    usecaseContractId: members.contractId,
    contractId: 'dc-bench',
    dataId: `bench-data-${index}`,
    // An output of its own per exchange, so runs do not all update one lineage node.
    outputDataId: `bench-output-${index}`,
    dataProviderId: members.provider.id,
    dataConsumerId: members.consumer.id,
    incentiveForDataProvider: { numPoints: members.pointsPerExchange, factor: 1, factorCheck: false },
  });
}
