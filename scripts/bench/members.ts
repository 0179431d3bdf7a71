import { Client, Connection } from '@temporalio/client';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Address, Hex } from 'viem';
import { createChainClients } from '../../chain/clients';
import { Ledger } from '../../chain/ledger';
import { pointsToUnits } from '../../domain/amounts';
import { createLogger } from '../../lib/logger';
import { fundOnAnvil } from '../services/anvil-balance';
import type { EmbeddedDvct } from './embedded-dvct';

/**
 * The members of a benchmark or soak run, acting through the real API over HTTP as connectors do:
 * an orchestrator, a data provider and a consumer that pays the provider per exchange from a
 * deposit it made from its own wallet.
 */
export interface Member {
  id: string;
  apiKey: string;
  wallet: Address;
  walletKey: Hex;
}

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

/** An API call that answers with a problem (4xx/5xx), with its status, so callers can tell refusal from outage. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function callApi<T = any>(dvct: Pick<EmbeddedDvct, 'apiUrl'>, method: string, path: string, key: string, body?: unknown): Promise<T> {
  const res = await fetch(`${dvct.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const json = (await res.json().catch(() => null)) as { detail?: string } | null;
  if (res.status >= 400) throw new ApiError(res.status, `${method} ${path} → ${res.status}: ${json?.detail ?? JSON.stringify(json)}`);
  return json as T;
}

async function register(dvct: EmbeddedDvct, temporal: Client, id: string, roles: string[], initialPoints: number): Promise<Member> {
  const walletKey = generatePrivateKey();
  const wallet = privateKeyToAccount(walletKey).address;
  await fundOnAnvil(dvct.rpcUrl, wallet);
  const res = await callApi(dvct, 'POST', '/v1/participants', dvct.operatorKey, {
    id,
    name: `Organisation ${id}`,
    roles,
    walletAddress: wallet,
    ...(initialPoints ? { initialPoints } : {}),
  });
  if (initialPoints) await temporal.workflow.getHandle(res.onboarding.workflowId).result();
  return { id, apiKey: res.apiKey, wallet, walletKey };
}

export async function setUpMembers(
  dvct: EmbeddedDvct,
  opts: { exchanges: number; pointsPerExchange: number; verificationWindowSeconds: number },
): Promise<Members> {
  const connection = await Connection.connect({ address: dvct.temporalAddress });
  const temporal = new Client({ connection, namespace: dvct.namespace });
  const depositPoints = opts.exchanges * opts.pointsPerExchange;
  const orchestrator = await register(dvct, temporal, 'bench-orchestrator', ['orchestrator'], 0);
  const provider = await register(dvct, temporal, 'bench-provider', ['data-provider'], 0);
  const consumer = await register(dvct, temporal, 'bench-consumer', ['data-consumer'], depositPoints);

  const payer = await createChainClients({ rpcUrl: dvct.rpcUrl, signerKey: consumer.walletKey, pollingIntervalMs: 50 });
  await new Ledger(payer, dvct.deployment, createLogger('bench', 'silent')).depositFrom(payer.walletClient, pointsToUnits(depositPoints));

  const contractId = 'uc-bench';
  await callApi(dvct, 'POST', '/v1/contracts', dvct.operatorKey, {
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
  return callApi(dvct, 'POST', '/v1/exchanges', members.consumer.apiKey, {
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
