import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

/**
 * Compiles the DVCT contracts in memory with solc-js (no network, no forge): Solidity standard
 * JSON in, ABI + creation bytecode out. Imports of `@openzeppelin/...` resolve from node_modules,
 * so the pinned OpenZeppelin version is the one that ships in the bytecode.
 */
export const CONTRACT_NAMES = ['IncentiveToken', 'PointsLedger'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export const CONTRACTS_DIR = dirname(fileURLToPath(import.meta.url));

/** Cancun, not solc's newer default: it runs on anvil and on the EVM chains DVCT targets. */
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  viaIR: true,
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const;

export interface CompiledContract {
  abi: unknown[];
  bytecode: `0x${string}`;
}

interface SolcMessage {
  severity: 'error' | 'warning' | 'info';
  formattedMessage: string;
}

interface SolcOutput {
  errors?: SolcMessage[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
}

const require = createRequire(import.meta.url);
const openZeppelinRoot = dirname(require.resolve('@openzeppelin/contracts/package.json'));
const OPENZEPPELIN_PREFIX = '@openzeppelin/contracts/';

export function compilerVersion(): string {
  return solc.version() as string;
}

export function openZeppelinVersion(): string {
  return (JSON.parse(readFileSync(join(openZeppelinRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Source unit name → Solidity text of our own contracts (the names appear in the bytecode metadata). */
export function readContractSources(): Record<string, string> {
  return Object.fromEntries(
    CONTRACT_NAMES.map((name) => [`contracts/${name}.sol`, readFileSync(join(CONTRACTS_DIR, `${name}.sol`), 'utf8')]),
  );
}

function resolveImport(path: string): { contents: string } | { error: string } {
  if (!path.startsWith(OPENZEPPELIN_PREFIX) || path.includes('..')) {
    return { error: `Only ${OPENZEPPELIN_PREFIX}* imports are allowed, not ${path}` };
  }
  try {
    return { contents: readFileSync(join(openZeppelinRoot, path.slice(OPENZEPPELIN_PREFIX.length)), 'utf8') };
  } catch (err) {
    return { error: `Cannot read ${path}: ${(err as Error).message}` };
  }
}

/** Compiles both contracts; throws with solc's own messages when anything fails to compile. */
export function compileContracts(
  sources: Record<string, string> = readContractSources(),
): { contracts: Record<ContractName, CompiledContract>; warnings: string[] } {
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([unit, content]) => [unit, { content }])),
    settings: COMPILER_SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport }) as string) as SolcOutput;
  const messages = output.errors ?? [];
  const errors = messages.filter((m) => m.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`Solidity compilation failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }

  const contracts = {} as Record<ContractName, CompiledContract>;
  for (const name of CONTRACT_NAMES) {
    const compiled = output.contracts?.[`contracts/${name}.sol`]?.[name];
    if (!compiled) throw new Error(`solc produced no output for ${name}`);
    contracts[name] = { abi: compiled.abi, bytecode: `0x${compiled.evm.bytecode.object}` };
  }
  return {
    contracts,
    warnings: messages.filter((m) => m.severity === 'warning').map((m) => m.formattedMessage),
  };
}
