import { serve, type ServerType } from '@hono/node-server';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { inject } from 'vitest';
import { ensureDeployment, type Deployment } from '../../chain/deployment';
import { abi as tokenAbi } from '../../contracts/artifacts/IncentiveToken';
import { abi as ledgerAbi } from '../../contracts/artifacts/PointsLedger';
import { parseDirectory } from '../../domain/directory';
import { findFreePort } from '../../scripts/services/ports';
import { chainClients, fund, fundedAccount } from './chain';
import { startStack, type Stack } from './stack';

/**
 * Several DVCT instances in one test file, the way a dataspace runs them: each with its own
 * database, signer, API served over real HTTP on 127.0.0.1 and Temporal namespace; one chain with
 * one shared ledger (every instance's signer an operator of it); one directory all of them hold.
 */
export interface Instance {
  id: string;
  url: string;
  stack: Stack;
  /** Takes the instance away (its HTTP server and its worker) and brings it back, as a peer going down. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startFederation(spec: { id: string; participants: string[] }[]): Promise<{ instances: Instance[]; deployment: Deployment; close(): Promise<void> }> {
  const admin = await fundedAccount();
  const adminClients = await chainClients(admin.privateKey);
  const deployment = await ensureDeployment({ clients: adminClients });
  const signers: Hex[] = spec.map(() => generatePrivateKey());
  const [minter, operator] = await Promise.all([
    adminClients.publicClient.readContract({ address: deployment.token, abi: tokenAbi, functionName: 'MINTER_ROLE' }),
    adminClients.publicClient.readContract({ address: deployment.ledger, abi: ledgerAbi, functionName: 'OPERATOR_ROLE' }),
  ]);
  for (const key of signers) {
    const address = privateKeyToAccount(key).address;
    await fund(address);
    for (const hash of [
      await adminClients.walletClient.writeContract({ address: deployment.token, abi: tokenAbi, functionName: 'grantRole', args: [minter, address] }),
      await adminClients.walletClient.writeContract({ address: deployment.ledger, abi: ledgerAbi, functionName: 'grantRole', args: [operator, address] }),
    ]) {
      await adminClients.publicClient.waitForTransactionReceipt({ hash });
    }
  }
  const ports = await Promise.all(spec.map(() => findFreePort()));
  const file = {
    instances: spec.map((s, i) => ({ instanceId: s.id, url: `http://127.0.0.1:${ports[i]}`, signerAddress: privateKeyToAccount(signers[i]!).address, participants: s.participants })),
  };
  const namespaces = inject('federationNamespaces');
  if (spec.length > namespaces.length) throw new Error(`The suite's Temporal server has ${namespaces.length} federation namespaces`);

  const instances: Instance[] = [];
  for (const [i, s] of spec.entries()) {
    const entry = file.instances[i]!;
    const directory = parseDirectory(file, { instanceId: s.id, publicUrl: entry.url, signerAddress: entry.signerAddress });
    const stack = await startStack({ federation: { instanceId: s.id, publicUrl: entry.url, namespace: namespaces[i]!, directory, signerKey: signers[i]!, deployment } });
    let server: ServerType | undefined;
    const listen = () =>
      new Promise<void>((resolve) => {
        server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port: ports[i]! }, () => resolve());
      });
    const instance: Instance = {
      id: s.id,
      url: entry.url,
      stack,
      async stop() {
        const closing = server;
        server = undefined;
        await new Promise<void>((resolve) => (closing ? closing.close(() => resolve()) : resolve()));
        if ('closeAllConnections' in (closing ?? {})) (closing as unknown as { closeAllConnections(): void }).closeAllConnections();
        await stack.stopWorker();
      },
      async start() {
        await listen();
        await stack.startWorker();
      },
    };
    await listen();
    instances.push(instance);
  }
  return {
    instances,
    deployment,
    async close() {
      for (const instance of instances) {
        await instance.stop();
        await instance.stack.close();
      }
    },
  };
}
