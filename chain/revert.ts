import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from 'viem';
import { abi as ledgerAbi } from '../contracts/artifacts/PointsLedger';
import { abi as tokenAbi } from '../contracts/artifacts/IncentiveToken';
import { DvctError, type ErrorCode } from '../domain/errors';

/**
 * Turns a failed chain call into something a caller can act on. A revert is permanent (the same
 * call will revert again) and becomes a DvctError named after the contract's custom error; anything
 * else (timeouts, connection refused, nonce races) stays a plain, retryable Error.
 */
export interface Revert {
  /** The custom error's name, e.g. "InsufficientDeposit", or the raw selector when unknown. */
  name: string;
  /** Its arguments by parameter name; amounts as decimal strings so details stay JSON. */
  args: Record<string, string | boolean>;
}

/** A line's verification window has not ended yet: try again after `releaseAt` (unix seconds). */
export class AllocationStillHeldError extends Error {
  constructor(readonly releaseAt: number) {
    super(`The allocation is held until ${new Date(releaseAt * 1000).toISOString()}; release it after that`);
    this.name = 'AllocationStillHeldError';
  }
}

/** Ledger and token errors: SafeERC20 bubbles the token's own reverts up through the ledger. */
const knownErrors = [...ledgerAbi, ...tokenAbi].filter((item) => item.type === 'error') as Abi;

const CODE_BY_REVERT: Record<string, ErrorCode> = {
  InsufficientDeposit: 'INSUFFICIENT_DEPOSIT',
  AllocationExists: 'ALLOCATION_CONFLICT',
  AlreadyReleased: 'ALLOCATION_RELEASED',
};

function named(inputs: readonly { name?: string }[], values: readonly unknown[] | undefined): Revert['args'] {
  const args: Revert['args'] = {};
  inputs.forEach((input, i) => {
    const value = values?.[i];
    args[input.name || `arg${i}`] = typeof value === 'boolean' ? value : String(value);
  });
  return args;
}

/** The decoded revert inside a viem error, or undefined when the failure was not a revert. */
export function decodeRevert(err: unknown): Revert | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  const raw: Hex | undefined = reverted.raw;
  if (raw && raw.length >= 10) {
    try {
      const decoded = decodeErrorResult({ abi: knownErrors, data: raw });
      const inputs = 'inputs' in decoded.abiItem ? decoded.abiItem.inputs : [];
      return { name: decoded.errorName, args: named(inputs, decoded.args) };
    } catch {
      return { name: raw.slice(0, 10), args: {} };
    }
  }
  return { name: reverted.reason ? 'Error' : 'UnknownRevert', args: reverted.reason ? { reason: reverted.reason } : {} };
}

/** Maps a failed call to the error the caller should see; `context` names what was attempted. */
export function toChainError(err: unknown, context: Record<string, unknown>): Error {
  const revert = decodeRevert(err);
  if (!revert) return err instanceof Error ? err : new Error(String(err));
  if (revert.name === 'StillHeld') return new AllocationStillHeldError(Number(revert.args.releaseAt));
  const code = CODE_BY_REVERT[revert.name] ?? 'CHAIN_REVERTED';
  return new DvctError(code, `The ledger refused the transaction: ${revert.name}`, {
    ...context,
    error: revert.name,
    args: revert.args,
  });
}
