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
import { designSequenceContract } from './contract-body';
import { deposit, registerMember, startStack, type Member, type Stack } from './stack';

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

/** Until `check` passes: peers work asynchronously (a sender's hop ends when the peer has accepted). */
export async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * The design document's members on three instances: dvct-p1 serves provider P1, dvct-c1 serves
 * C1 (consumer and AI provider, and provider of its chain data), dvct-c2 serves consumer C2 and
 * the orchestrator. Each organisation registers (with its initial points) on its home and is made
 * known, same wallet, to the other two; every instance holds the use case's contract; the payers
 * deposit on their homes. Participant ids are `<prefix>-p1`, `<prefix>-c1`, `<prefix>-c2`, `<prefix>-o`.
 */
export interface DesignFederation {
  federation: Awaited<ReturnType<typeof startFederation>>;
  p1i: Instance;
  c1i: Instance;
  c2i: Instance;
  p1: Member;
  c1: Member;
  c2: Member;
  o: Member;
  /** The organisation's API key on an instance (each instance issues its own). */
  key(instance: Instance, member: Member): string;
}

export async function startDesignFederation(prefix: string, usecaseContractId: string): Promise<DesignFederation> {
  const id = { p1: `${prefix}-p1`, c1: `${prefix}-c1`, c2: `${prefix}-c2`, o: `${prefix}-o` };
  const federation = await startFederation([
    { id: 'dvct-p1', participants: [id.p1] },
    { id: 'dvct-c1', participants: [id.c1] },
    { id: 'dvct-c2', participants: [id.c2, id.o] },
  ]);
  const [p1i, c1i, c2i] = federation.instances as [Instance, Instance, Instance];
  const roles: Record<string, string[]> = {
    [id.p1]: ['data-provider'],
    [id.c1]: ['data-consumer', 'ai-provider', 'data-provider'],
    [id.c2]: ['data-consumer'],
    [id.o]: ['orchestrator'],
  };
  const p1 = await registerMember(p1i.stack, { id: id.p1, roles: roles[id.p1]! });
  const c1 = await registerMember(c1i.stack, { id: id.c1, roles: roles[id.c1]!, initialPoints: 100 });
  const c2 = await registerMember(c2i.stack, { id: id.c2, roles: roles[id.c2]!, initialPoints: 100 });
  const o = await registerMember(c2i.stack, { id: id.o, roles: roles[id.o]!, initialPoints: 100 });
  const keys = new Map<string, string>([
    [`dvct-p1/${p1.id}`, p1.apiKey],
    [`dvct-c1/${c1.id}`, c1.apiKey],
    [`dvct-c2/${c2.id}`, c2.apiKey],
    [`dvct-c2/${o.id}`, o.apiKey],
  ]);
  for (const instance of [p1i, c1i, c2i]) {
    for (const m of [p1, c1, c2, o]) {
      if (keys.has(`${instance.id}/${m.id}`)) continue;
      const res = await instance.stack.request('POST', '/v1/participants', {
        key: instance.stack.operatorKey,
        body: { id: m.id, name: `Organisation ${m.id}`, roles: roles[m.id], walletAddress: m.wallet },
      });
      if (res.status !== 201) throw new Error(`registering ${m.id} on ${instance.id}: ${res.status} ${JSON.stringify(res.body)}`);
      keys.set(`${instance.id}/${m.id}`, res.body.apiKey);
    }
    const created = await instance.stack.request('POST', '/v1/contracts', { key: instance.stack.operatorKey, body: designSequenceContract(usecaseContractId, prefix, 1) });
    if (created.status !== 201) throw new Error(`contract on ${instance.id}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  await deposit(c2i.stack, o, 50);
  await deposit(c1i.stack, c1, 50);
  await deposit(c2i.stack, c2, 50);
  return { federation, p1i, c1i, c2i, p1, c1, c2, o, key: (instance, member) => keys.get(`${instance.id}/${member.id}`)! };
}
