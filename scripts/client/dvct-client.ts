import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Address, Hex } from 'viem';
import { createChainClients } from '../../chain/clients';
import type { DeployedContracts } from '../../chain/deployment';
import { Ledger } from '../../chain/ledger';
import { pointsToUnits } from '../../domain/amounts';
import { createLogger } from '../../lib/logger';
import { fundOnAnvil } from '../services/anvil-balance';

/**
 * What the demo, the benchmarks and the soak do as DVCT's members would: call the HTTP API with
 * a key, register an organisation with a wallet of its own, and deposit from that wallet.
 * Funding gas uses anvil_setBalance, so these helpers are for the embedded chain.
 */

/** An API answer that is a problem (4xx/5xx), with its status, so callers can tell refusal from outage. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How often a client waits out a 429 (rate limit) or a 503 (a dependency busy or down) before it
 * gives up: both say "not now" with a Retry-After, not "no". Every write it retries is idempotent
 * (exchanges by business key), so a retry never doubles anything.
 */
const NOT_NOW_RETRIES = 20;
const NOT_NOW = new Set([429, 503]);

export async function callApi<T = any>(apiUrl: string, method: string, path: string, key: string, body?: unknown): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await res.json().catch(() => null)) as { detail?: string } | null;
    if (NOT_NOW.has(res.status) && attempt < NOT_NOW_RETRIES) {
      const waitSeconds = Number(res.headers.get('retry-after')) || 1;
      await new Promise((resolve) => setTimeout(resolve, waitSeconds * 1000));
      continue;
    }
    if (res.status >= 400) throw new ApiError(res.status, `${method} ${path} → ${res.status}: ${json?.detail ?? JSON.stringify(json)}`);
    return json as T;
  }
}

export interface Member {
  id: string;
  apiKey: string;
  wallet: Address;
  walletKey: Hex;
}

/**
 * Registers `id` with a new wallet funded for gas; when `initialPoints` is set, waits until the
 * onboarding run has minted them into the wallet (read through the API's balance).
 */
export async function registerMember(
  dvct: { apiUrl: string; rpcUrl: string; operatorKey: string },
  p: { id: string; name?: string; roles: string[]; initialPoints?: number },
): Promise<Member> {
  const walletKey = generatePrivateKey();
  const wallet = privateKeyToAccount(walletKey).address;
  await fundOnAnvil(dvct.rpcUrl, wallet);
  const res = await callApi(dvct.apiUrl, 'POST', '/v1/participants', dvct.operatorKey, {
    id: p.id,
    name: p.name ?? `Organisation ${p.id}`,
    roles: p.roles,
    walletAddress: wallet,
    ...(p.initialPoints ? { initialPoints: p.initialPoints } : {}),
  });
  const member = { id: p.id, apiKey: res.apiKey as string, wallet, walletKey };
  if (p.initialPoints) {
    const due = pointsToUnits(p.initialPoints);
    for (let i = 0; ; i++) {
      const balance = await callApi(dvct.apiUrl, 'GET', `/v1/participants/${p.id}/balance`, member.apiKey);
      if (BigInt(balance.walletUnits) >= due) break;
      if (i >= 300) throw new Error(`${p.id}'s initial points did not arrive within a minute`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return member;
}

/** The member approves and deposits into the ledger itself, signing with its own wallet. */
export async function depositFromWallet(rpcUrl: string, contracts: DeployedContracts, member: Member, points: number): Promise<void> {
  const clients = await createChainClients({ rpcUrl, signerKey: member.walletKey, pollingIntervalMs: 50 });
  await new Ledger(clients, contracts, createLogger('client', 'silent')).depositFrom(clients.walletClient, pointsToUnits(points));
}
