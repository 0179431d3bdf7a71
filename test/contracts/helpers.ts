import { expect } from 'vitest';
import { decodeRevert } from '../../chain/revert';

/** The custom error a chain call reverted with; fails the test if it did not revert. */
export async function revertOf(call: Promise<unknown>): Promise<{ name: string; args: Record<string, string | boolean> }> {
  try {
    await call;
  } catch (err) {
    const revert = decodeRevert(err);
    if (!revert) throw err;
    return revert;
  }
  expect.fail('expected the call to revert');
}

/** Distinct bytes32 keys per test, so tests sharing one chain never touch each other's allocations. */
let counter = 0;
export function uniqueId(label: string): string {
  counter += 1;
  return `${label}-${counter}-${Date.now()}`;
}

export const ONE = 10n ** 18n;
