import { generatePrivateKey } from 'viem/accounts';
import type { Hex } from 'viem';
import type { TestProject } from 'vitest/node';
import { createChainClients } from '../../chain/clients';
import { ensureDeployment, type Deployment } from '../../chain/deployment';
import { startAnvil, type AnvilProcess } from '../../scripts/services/anvil';
import { fundOnAnvil } from '../../scripts/services/anvil-balance';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/services/temporal';
import { ensureTemporalCli } from '../../scripts/tools/temporal-cli';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the suite's Temporal dev server (in memory, DVCT search attributes registered). */
    temporalAddress: string;
    temporalNamespace: string;
    /** Namespaces for tests running several DVCT instances on the one server (one per instance). */
    federationNamespaces: string[];
    /** JSON-RPC URL of the suite's anvil. */
    rpcUrl: string;
    /**
     * Operator key: funded, holds MINTER_ROLE and OPERATOR_ROLE on `deployment`. Every test file
     * sees the same key, so files writing to the chain side by side should sign with their own
     * (`fundedAccount()` in test/support/chain.ts) to keep their nonces apart.
     */
    signerKey: Hex;
    deployment: Deployment;
  }
}

const NAMESPACE = 'default';
const FEDERATION_NAMESPACES = ['dvct-fed-1', 'dvct-fed-2', 'dvct-fed-3'];

/** Stops whichever of the two services did start. */
async function stopAll(services: ReadonlyArray<PromiseSettledResult<AnvilProcess | TemporalDevServer>>): Promise<void> {
  for (const service of services) if (service.status === 'fulfilled') await service.value.stop();
}

/** Starts the suite's shared servers once; the returned teardown stops them by their PIDs. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cliPath = await ensureTemporalCli();
  const started = await Promise.allSettled([startAnvil(), startTemporalDevServer({ cliPath, namespace: NAMESPACE, extraNamespaces: FEDERATION_NAMESPACES })]);
  const [anvil, temporal] = started;
  try {
    if (anvil.status === 'rejected') throw anvil.reason;
    if (temporal.status === 'rejected') throw temporal.reason;

    const signerKey = generatePrivateKey();
    const clients = await createChainClients({ rpcUrl: anvil.value.rpcUrl, signerKey, pollingIntervalMs: 50 });
    await fundOnAnvil(anvil.value.rpcUrl, clients.account.address);
    const deployment = await ensureDeployment({ clients });

    project.provide('temporalAddress', temporal.value.address);
    project.provide('temporalNamespace', NAMESPACE);
    project.provide('federationNamespaces', FEDERATION_NAMESPACES);
    project.provide('rpcUrl', anvil.value.rpcUrl);
    project.provide('signerKey', signerKey);
    project.provide('deployment', deployment);
  } catch (err) {
    await stopAll(started);
    throw err;
  }
  return () => stopAll(started);
}
