import type { Address, Hex } from 'viem';
import { createChainClients } from '../../chain/clients';
import { chainKey } from '../../chain/ids';
import { Ledger } from '../../chain/ledger';
import { pointsToUnits } from '../../domain/amounts';
import { createLogger } from '../../lib/logger';
import type { EmbeddedDvct } from '../bench/embedded-dvct';
import type { Members } from '../bench/members';
import { callApi } from '../client/dvct-client';

/**
 * The end-of-soak audit: what Temporal, the database (through the API) and the chain say must
 * agree. Every finding is one discrepancy, described well enough to look it up.
 */
export interface AcceptedExchange {
  exchangeId: string;
  workflowId: string;
}

interface AllocationView {
  payerId: string;
  recipientId: string;
  amountUnits: string;
  status: 'allocated' | 'released' | 'revoked';
  allocationTxHash: string | null;
  releaseTxHash: string | null;
}

const lineKey = (payer: string, recipient: string) => `${payer.toLowerCase()}→${recipient.toLowerCase()}`;

export async function auditSoak(dvct: EmbeddedDvct, members: Members, accepted: AcceptedExchange[]): Promise<string[]> {
  const found: string[] = [];
  const clients = await createChainClients({ rpcUrl: dvct.rpcUrl, signerKey: dvct.signerKey, pollingIntervalMs: 50 });
  const ledger = new Ledger(clients, dvct.deployment, createLogger('soak', 'silent'));
  const walletOf = new Map<string, Address>([members.orchestrator, members.provider, members.consumer].map((m) => [m.id, m.wallet]));

  // 1. Temporal: each exchange ran to completion exactly once (one run of its workflow id, completed).
  const runs = new Map<string, string[]>();
  for await (const run of members.temporal.workflow.list({ query: `WorkflowType = 'exchangeWorkflow'` })) {
    runs.set(run.workflowId, [...(runs.get(run.workflowId) ?? []), run.status.name]);
  }
  for (const { workflowId } of accepted) {
    const statuses = runs.get(workflowId) ?? [];
    if (statuses.length !== 1 || statuses[0] !== 'COMPLETED') found.push(`${workflowId}: runs ${JSON.stringify(statuses)}, expected one COMPLETED`);
  }
  if (runs.size !== accepted.length) found.push(`Temporal holds ${runs.size} exchange workflow ids for ${accepted.length} accepted exchanges`);

  // 2. The database's record of each exchange, and 3. the chain's, line by line.
  const events = await ledger.getLedgerEvents();
  const eventsOf = new Map<Hex, typeof events>();
  for (const e of events) {
    if ('exchangeKey' in e) eventsOf.set(e.exchangeKey, [...(eventsOf.get(e.exchangeKey) ?? []), e]);
  }
  let releasedToProvider = 0n;
  let allocatedFromConsumer = 0n;
  for (const { exchangeId } of accepted) {
    const record = await callApi<{ status: string; allocations: AllocationView[] }>(dvct.apiUrl, 'GET', `/v1/exchanges/${exchangeId}`, members.consumer.apiKey);
    if (record.status !== 'completed') found.push(`${exchangeId}: database status ${record.status}, expected completed`);
    if (record.allocations.length === 0) found.push(`${exchangeId}: no allocation in the database`);
    const key = chainKey(exchangeId);
    const onChain = eventsOf.get(key) ?? [];
    const dbLines = new Set<string>();
    for (const line of record.allocations) {
      const payer = walletOf.get(line.payerId);
      const recipient = walletOf.get(line.recipientId);
      if (!payer || !recipient) {
        found.push(`${exchangeId}: allocation to an unknown participant ${line.payerId} → ${line.recipientId}`);
        continue;
      }
      const where = `${exchangeId} ${line.payerId} → ${line.recipientId}`;
      dbLines.add(lineKey(payer, recipient));
      const ofLine = (kind: 'Allocated' | 'Released') =>
        onChain.filter((e) => e.kind === kind && lineKey(e.payer, e.recipient) === lineKey(payer, recipient));
      const allocated = ofLine('Allocated');
      const released = ofLine('Released');
      if (allocated.length !== 1) found.push(`${where}: ${allocated.length} Allocated events on chain, expected 1`);
      if (line.status === 'released' && released.length !== 1) found.push(`${where}: ${released.length} Released events on chain, expected 1`);
      if (line.status !== 'released') found.push(`${where}: database status ${line.status}, expected released`);

      const [state] = await ledger.readAllocations(exchangeId, [{ payer, recipient }]);
      if (state?.status !== line.status || state.amount.toString() !== line.amountUnits) {
        found.push(`${where}: database ${line.status} ${line.amountUnits}, chain ${state?.status} ${state?.amount}`);
      }
      for (const [what, hash] of [['allocation', line.allocationTxHash], ['release', line.releaseTxHash]] as const) {
        if (!hash) continue;
        const receipt = await clients.publicClient.getTransactionReceipt({ hash: hash as Hex }).catch(() => undefined);
        if (receipt?.status !== 'success') found.push(`${where}: the database's ${what} tx ${hash} is ${receipt ? 'reverted' : 'not'} on chain`);
      }
      if (line.recipientId === members.provider.id && state?.status === 'released') releasedToProvider += state.amount;
      if (line.payerId === members.consumer.id && state && state.status !== 'revoked' && state.status !== 'none') allocatedFromConsumer += state.amount;
    }
    for (const e of onChain) {
      if (e.kind === 'Allocated' && !dbLines.has(lineKey(e.payer, e.recipient))) {
        found.push(`${exchangeId}: chain allocated ${e.payer} → ${e.recipient} (tx ${e.txHash}), the database has no such line`);
      }
    }
  }
  const acceptedKeys = new Set(accepted.map((a) => chainKey(a.exchangeId)));
  for (const key of eventsOf.keys()) {
    if (!acceptedKeys.has(key)) found.push(`chain has events of exchange key ${key}, which no accepted exchange has`);
  }

  // 4. The ledger invariant: its token balance = deposits not allocated + allocations not released.
  const payers = new Set(events.flatMap((e) => (e.kind === 'Deposited' ? [e.payer] : [])));
  let deposits = 0n;
  for (const payer of payers) deposits += await ledger.depositOf(payer);
  const held = new Map<string, bigint>();
  for (const e of events) {
    if (e.kind === 'Allocated') held.set(`${e.exchangeKey}:${lineKey(e.payer, e.recipient)}`, e.amount);
    if (e.kind === 'Released' || e.kind === 'Revoked') held.delete(`${e.exchangeKey}:${lineKey(e.payer, e.recipient)}`);
  }
  const stillHeld = [...held.values()].reduce((a, b) => a + b, 0n);
  const balance = await ledger.ledgerTokenBalance();
  if (balance !== deposits + stillHeld) found.push(`ledger invariant: token balance ${balance} ≠ deposits ${deposits} + held ${stillHeld}`);

  // 5. Balances: what the database says moved is what the wallets and deposits show.
  const providerWallet = await ledger.tokenBalanceOf(members.provider.wallet);
  if (providerWallet !== releasedToProvider) found.push(`provider wallet ${providerWallet} ≠ ${releasedToProvider} released to it`);
  const consumerDeposit = await ledger.depositOf(members.consumer.wallet);
  const expectedDeposit = pointsToUnits(members.depositPoints) - allocatedFromConsumer;
  if (consumerDeposit !== expectedDeposit) found.push(`consumer deposit ${consumerDeposit} ≠ ${expectedDeposit} (deposited minus allocated)`);
  return found;
}
