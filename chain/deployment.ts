import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Address, Chain, Hex, PublicClient, Transport } from 'viem';
import { z } from 'zod';
import type { Config } from '../config/config';
import * as IncentiveToken from '../contracts/artifacts/IncentiveToken';
import * as PointsLedger from '../contracts/artifacts/PointsLedger';
import type { Logger } from '../lib/logger';
import type { ChainClients } from './clients';
import { submitTransaction } from './send';

/** Where the token and the ledger live; `blockNumber` is where event scans start ("0" if unknown). */
export interface DeployedContracts {
  token: Address;
  ledger: Address;
  blockNumber: string;
  /** Known when read from a deployment file; addresses from the environment do not say. */
  chainId?: number;
}

/** What the deploy step writes to DVCT_DEPLOYMENT_FILE. */
export interface Deployment extends DeployedContracts {
  chainId: number;
  deployedAt: string;
}

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((a) => a as Address);
const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  token: address,
  ledger: address,
  blockNumber: z.string().regex(/^\d+$/),
  deployedAt: z.string(),
});

function readDeploymentFile(file: string): Deployment {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read the deployment file ${file}: ${(err as Error).message}`);
  }
  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) throw new Error(`The deployment file ${file} is not valid: ${parsed.error.message}`);
  return parsed.data;
}

/** The contracts to use: TOKEN_ADDRESS + LEDGER_ADDRESS when both are set, else the deployment file. */
export function readDeployment(chain: Pick<Config['chain'], 'tokenAddress' | 'ledgerAddress' | 'deploymentFile'>): DeployedContracts {
  if (chain.tokenAddress && chain.ledgerAddress) {
    return { token: chain.tokenAddress as Address, ledger: chain.ledgerAddress as Address, blockNumber: '0' };
  }
  if (chain.tokenAddress || chain.ledgerAddress) {
    throw new Error('Set both TOKEN_ADDRESS and LEDGER_ADDRESS, or neither (then DVCT_DEPLOYMENT_FILE is used)');
  }
  if (!existsSync(chain.deploymentFile)) {
    throw new Error(
      `No contracts configured: set TOKEN_ADDRESS and LEDGER_ADDRESS, or deploy first so that ` +
        `${chain.deploymentFile} (DVCT_DEPLOYMENT_FILE) exists`,
    );
  }
  return readDeploymentFile(chain.deploymentFile);
}

/** Both contracts have code on the connected chain (a reset dev chain has none). */
export async function isDeploymentLive(
  publicClient: PublicClient<Transport, Chain>,
  contracts: Pick<DeployedContracts, 'token' | 'ledger'>,
): Promise<boolean> {
  const codes = await Promise.all([contracts.token, contracts.ledger].map((a) => publicClient.getCode({ address: a })));
  return codes.every((code) => code !== undefined && code !== '0x');
}

async function signerHasRoles(clients: ChainClients, d: DeployedContracts): Promise<boolean> {
  const { publicClient, account } = clients;
  const [minter, operator] = await Promise.all([
    publicClient.readContract({ address: d.token, abi: IncentiveToken.abi, functionName: 'MINTER_ROLE' }),
    publicClient.readContract({ address: d.ledger, abi: PointsLedger.abi, functionName: 'OPERATOR_ROLE' }),
  ]);
  const roles = await Promise.all([
    publicClient.readContract({ address: d.token, abi: IncentiveToken.abi, functionName: 'hasRole', args: [minter, account.address] }),
    publicClient.readContract({ address: d.ledger, abi: PointsLedger.abi, functionName: 'hasRole', args: [operator, account.address] }),
  ]);
  return roles.every(Boolean);
}

async function deploy(clients: ChainClients): Promise<Deployment> {
  const { publicClient, walletClient, account } = clients;
  const write = (send: () => Promise<Hex>) => submitTransaction(publicClient, walletClient, send, clients.finalityMs);

  const tokenReceipt = await write(() =>
    walletClient.deployContract({ abi: IncentiveToken.abi, bytecode: IncentiveToken.bytecode, args: [account.address] }),
  );
  const token = tokenReceipt.contractAddress;
  if (!token) throw new Error(`The token deployment ${tokenReceipt.transactionHash} created no contract`);
  const ledgerReceipt = await write(() =>
    walletClient.deployContract({ abi: PointsLedger.abi, bytecode: PointsLedger.bytecode, args: [token, account.address] }),
  );
  const ledger = ledgerReceipt.contractAddress;
  if (!ledger) throw new Error(`The ledger deployment ${ledgerReceipt.transactionHash} created no contract`);

  const [minter, operator] = await Promise.all([
    publicClient.readContract({ address: token, abi: IncentiveToken.abi, functionName: 'MINTER_ROLE' }),
    publicClient.readContract({ address: ledger, abi: PointsLedger.abi, functionName: 'OPERATOR_ROLE' }),
  ]);
  await write(() =>
    walletClient.writeContract({ address: token, abi: IncentiveToken.abi, functionName: 'grantRole', args: [minter, account.address] }),
  );
  await write(() =>
    walletClient.writeContract({ address: ledger, abi: PointsLedger.abi, functionName: 'grantRole', args: [operator, account.address] }),
  );
  return {
    chainId: clients.chain.id,
    token,
    ledger,
    blockNumber: tokenReceipt.blockNumber.toString(),
    deployedAt: new Date().toISOString(),
  };
}

function writeDeploymentFile(file: string, deployment: Deployment): void {
  mkdirSync(dirname(file), { recursive: true });
  // Write-then-rename: a crash mid-write never leaves a half file that the next start misreads.
  const partial = `${file}.partial`;
  writeFileSync(partial, `${JSON.stringify(deployment, null, 2)}\n`);
  renameSync(partial, file);
}

/**
 * The token and ledger this signer operates. A deployment recorded in `file` is reused when it is
 * on the same chain and its code is still there (a restarted anvil with its state file); otherwise
 * both contracts are deployed, the signer gets MINTER_ROLE and OPERATOR_ROLE, and `file` is written.
 */
export async function ensureDeployment(opts: { clients: ChainClients; file?: string; log?: Logger }): Promise<Deployment> {
  const { clients, file, log } = opts;
  if (file && existsSync(file)) {
    const recorded = readDeploymentFile(file);
    if (recorded.chainId === clients.chain.id && (await isDeploymentLive(clients.publicClient, recorded))) {
      if (!(await signerHasRoles(clients, recorded))) {
        throw new Error(
          `The contracts in ${file} do not grant ${clients.account.address} MINTER_ROLE and OPERATOR_ROLE: ` +
            'use the signer key that deployed them, or have their admin grant the roles',
        );
      }
      log?.info({ token: recorded.token, ledger: recorded.ledger, chainId: recorded.chainId }, 'reusing the deployed contracts');
      return recorded;
    }
    log?.warn({ file, chainId: clients.chain.id }, 'the recorded deployment is not on this chain; deploying again');
  }
  const deployment = await deploy(clients);
  if (file) writeDeploymentFile(file, deployment);
  log?.info({ token: deployment.token, ledger: deployment.ledger, chainId: deployment.chainId }, 'deployed the contracts');
  return deployment;
}
