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
import { deposit, registerMember, startStack, type Member, type Stack, type StackOptions } from './stack';

/**
 * Several DVCT instances in one test file, the way a dataspace runs them: each with its own
 * database, signer, API served over real HTTP on 127.0.0.1 and Temporal namespace; one chain with
 * one shared ledger (every instance's signer an operator of it); one directory all of them hold.
 */
export interface Instance {
  id: string;
  url: string;
  stack: Stack;
  /** The instance's chain signer, which also signs its requests to peers (a test plays a peer with it). */
  signerKey: Hex;
  /** Takes the instance away (its HTTP server and its worker) and brings it back, as a peer going down. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface InstanceSpec {
  id: string;
  participants: string[];
  /** Wraps the instance's real activities, e.g. to hold a step while a test takes a peer away. */
  wrapActivities?: StackOptions['wrapActivities'];
}

export async function startFederation(spec: InstanceSpec[]): Promise<{ instances: Instance[]; deployment: Deployment; close(): Promise<void> }> {
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
    const stack = await startStack({
      federation: { instanceId: s.id, publicUrl: entry.url, namespace: namespaces[i]!, directory, signerKey: signers[i]!, deployment },
      ...(s.wrapActivities ? { wrapActivities: s.wrapActivities } : {}),
    });
    let server: ServerType | undefined;
    const listen = () =>
      new Promise<void>((resolve) => {
        server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port: ports[i]! }, () => resolve());
      });
    const instance: Instance = {
      id: s.id,
      url: entry.url,
      stack,
      signerKey: signers[i]!,
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
 * The design document's participants on three instances, each organisation on the instance the
 * sequence diagrams give its DVCT: dvct-p1 serves provider P1, dvct-p2 serves provider P2, dvct-c
 * serves the consumers C1 and C2 and the orchestrator (the diagrams' dvct-c1 and dvct-c2 as one
 * instance: the three instances the suite's Temporal server has namespaces for). P2's data is
 * chain data made from P1's raw data (the diagrams' "chain data DP2"), so P2 also consumes. Each
 * organisation registers (with its initial points) on its home and is made known, same wallet, to
 * the other two; every instance holds the use case's contract; the payers deposit on their homes.
 * Participant ids are `<prefix>-p1`, `-p2`, `-c1`, `-c2`, `-o`.
 */
export interface DesignFederation {
  federation: Awaited<ReturnType<typeof startFederation>>;
  p1i: Instance;
  p2i: Instance;
  ci: Instance;
  p1: Member;
  p2: Member;
  c1: Member;
  c2: Member;
  o: Member;
  /** The organisation's API key on an instance (each instance issues its own). */
  key(instance: Instance, member: Member): string;
}

export type DesignInstanceId = 'dvct-p1' | 'dvct-p2' | 'dvct-c';

export async function startDesignFederation(
  prefix: string,
  usecaseContractId: string,
  opts: { wrapActivities?: Partial<Record<DesignInstanceId, StackOptions['wrapActivities']>> } = {},
): Promise<DesignFederation> {
  const id = { p1: `${prefix}-p1`, p2: `${prefix}-p2`, c1: `${prefix}-c1`, c2: `${prefix}-c2`, o: `${prefix}-o` };
  const spec: { id: DesignInstanceId; participants: string[] }[] = [
    { id: 'dvct-p1', participants: [id.p1] },
    { id: 'dvct-p2', participants: [id.p2] },
    { id: 'dvct-c', participants: [id.c1, id.c2, id.o] },
  ];
  const federation = await startFederation(spec.map((s) => ({ ...s, wrapActivities: opts.wrapActivities?.[s.id] })));
  const [p1i, p2i, ci] = federation.instances as [Instance, Instance, Instance];
  const roles: Record<string, string[]> = {
    [id.p1]: ['data-provider'],
    [id.p2]: ['data-consumer', 'data-provider'],
    [id.c1]: ['data-consumer', 'ai-provider', 'data-provider'],
    [id.c2]: ['data-consumer'],
    [id.o]: ['orchestrator'],
  };
  const p1 = await registerMember(p1i.stack, { id: id.p1, roles: roles[id.p1]! });
  const p2 = await registerMember(p2i.stack, { id: id.p2, roles: roles[id.p2]!, initialPoints: 100 });
  const c1 = await registerMember(ci.stack, { id: id.c1, roles: roles[id.c1]!, initialPoints: 100 });
  const c2 = await registerMember(ci.stack, { id: id.c2, roles: roles[id.c2]!, initialPoints: 100 });
  const o = await registerMember(ci.stack, { id: id.o, roles: roles[id.o]!, initialPoints: 100 });
  const members = [p1, p2, c1, c2, o];
  const homeOf = new Map<string, Instance>([
    [p1.id, p1i],
    [p2.id, p2i],
    [c1.id, ci],
    [c2.id, ci],
    [o.id, ci],
  ]);
  const keys = new Map(members.map((m) => [`${homeOf.get(m.id)!.id}/${m.id}`, m.apiKey]));
  const contract = designSequenceContract(usecaseContractId, prefix, 1, { [id.p2]: ['data-consumer', 'data-provider'] });
  for (const instance of [p1i, p2i, ci]) {
    for (const m of members) {
      if (keys.has(`${instance.id}/${m.id}`)) continue;
      const res = await instance.stack.request('POST', '/v1/participants', {
        key: instance.stack.operatorKey,
        body: { id: m.id, name: `Organisation ${m.id}`, roles: roles[m.id], walletAddress: m.wallet },
      });
      if (res.status !== 201) throw new Error(`registering ${m.id} on ${instance.id}: ${res.status} ${JSON.stringify(res.body)}`);
      keys.set(`${instance.id}/${m.id}`, res.body.apiKey);
    }
    const created = await instance.stack.request('POST', '/v1/contracts', { key: instance.stack.operatorKey, body: contract });
    if (created.status !== 201) throw new Error(`contract on ${instance.id}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  await deposit(ci.stack, o, 50);
  await deposit(ci.stack, c1, 50);
  await deposit(ci.stack, c2, 50);
  await deposit(p2i.stack, p2, 50);
  return { federation, p1i, p2i, ci, p1, p2, c1, c2, o, key: (instance, member) => keys.get(`${instance.id}/${member.id}`)! };
}
