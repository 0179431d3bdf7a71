import { DvctError } from './errors';
import type { Units } from './types';

/**
 * Exact amount arithmetic for the points token (ERC-20, 18 decimals).
 *
 * Points arrive as JSON numbers or decimal strings ("5", 2.5, "0.1"); they are read through
 * their decimal text, never through float maths, so 0.1 point is exactly 10^17 base units.
 * Inside the domain an amount is a bigint of base units; across boundaries it is `Units`.
 * Pure module: workflows import it.
 */

export const DECIMALS = 18;
export const POINT = 10n ** BigInt(DECIMALS);
/** ERC-20 balances are uint256: no larger amount can exist on chain. */
export const MAX_UNITS = 2n ** 256n - 1n;
/** Factors and shares are fixed-point with 6 decimals (parts per million). */
export const PPM = 1_000_000n;
const FACTOR_DECIMALS = 6;
const MAX_UNITS_DIGITS = MAX_UNITS.toString().length;

/** A non-negative decimal, exactly: coefficient × 10^exponent, with no trailing zeros in coefficient (zero is {0n, 0}). */
export interface ExactDecimal {
  coefficient: bigint;
  exponent: number;
}

const DECIMAL_TEXT = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const CANONICAL_UNITS = /^(?:0|[1-9]\d*)$/;

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function invalid(label: string, value: unknown, requirement: string): never {
  throw new DvctError('VALIDATION_FAILED', `${label} ${requirement} (got ${show(value)})`, {
    field: label,
    value: show(value),
  });
}

/**
 * Reads a non-negative decimal number exactly. A JS number is read through `String(n)`, its
 * shortest round-trip text (0.1 → "0.1", 1e21 → "1e+21"), so what the sender wrote is what counts.
 */
export function parseDecimal(value: number | string, label = 'value'): ExactDecimal {
  if (typeof value === 'number' && !Number.isFinite(value)) invalid(label, value, 'must be a finite number');
  if (typeof value !== 'number' && typeof value !== 'string') invalid(label, value, 'must be a number or a decimal string');
  const text = String(value);
  if (text.startsWith('-')) invalid(label, value, 'must not be negative');
  const match = DECIMAL_TEXT.exec(text);
  if (!match) invalid(label, value, 'must be a decimal number such as 5, 2.5 or 1e21');
  const [, integerDigits = '', fractionDigits = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent)) invalid(label, value, 'has an exponent out of range');
  const significant = (integerDigits + fractionDigits).replace(/^0+/, '');
  if (significant === '') return { coefficient: 0n, exponent: 0 };
  const coefficientDigits = significant.replace(/0+$/, '');
  return {
    coefficient: BigInt(coefficientDigits),
    exponent: exponent - fractionDigits.length + (significant.length - coefficientDigits.length),
  };
}

/** The decimal as an integer count of 10^-decimals; rejects what would need more decimals or exceed uint256. */
function scaleToInteger(decimal: ExactDecimal, decimals: number, label: string, value: unknown): bigint {
  if (decimal.coefficient === 0n) return 0n;
  const shift = decimal.exponent + decimals;
  if (shift < 0) invalid(label, value, `must have at most ${decimals} decimals`);
  // Checked on the digit count first so "1e999999" costs nothing.
  if (decimal.coefficient.toString().length + shift > MAX_UNITS_DIGITS) invalid(label, value, 'is too large');
  const scaled = decimal.coefficient * 10n ** BigInt(shift);
  if (scaled > MAX_UNITS) invalid(label, value, 'is too large');
  return scaled;
}

/** Points (number or decimal string, ≥ 0, at most 18 decimals) → base units, exactly. */
export function pointsToUnits(points: number | string, label = 'points'): bigint {
  return scaleToInteger(parseDecimal(points, label), DECIMALS, label, points);
}

/** Base units → points as the shortest decimal string: "5", "2.5", "0.000000000000000001". */
export function unitsToPoints(units: bigint | Units): string {
  const value = typeof units === 'bigint' ? checkedUnits(units) : fromUnits(units);
  const whole = value / POINT;
  const fraction = (value % POINT).toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

/**
 * Base units → points as a JS number, for display fields the seed's JSON writes as numbers
 * (`numPoints`). Rounds to the nearest double: never use the result for arithmetic.
 */
export function unitsToNumber(units: bigint | Units): number {
  return Number(unitsToPoints(units));
}

/** A factor or share 0–1 with at most 6 decimals → parts per million (1 → 1_000_000n). */
export function factorToPpm(factor: number, label = 'factor'): bigint {
  if (typeof factor !== 'number') invalid(label, factor, 'must be a number from 0 to 1');
  const ppm = scaleToInteger(parseDecimal(factor, label), FACTOR_DECIMALS, label, factor);
  if (ppm > PPM) invalid(label, factor, 'must be a number from 0 to 1');
  return ppm;
}

/** floor(amount × ppm / 10^6): rounds down to a base unit, so the remainder stays with the payer. */
export function applyPpm(amount: bigint, ppm: bigint): bigint {
  if (amount < 0n) invalid('amount', amount, 'must not be negative');
  if (ppm < 0n) invalid('ppm', ppm, 'must not be negative');
  return (amount * ppm) / PPM;
}

export function sumUnits(list: Iterable<bigint | Units>): bigint {
  let total = 0n;
  for (const item of list) total += typeof item === 'bigint' ? checkedUnits(item) : fromUnits(item);
  return total;
}

function checkedUnits(value: bigint): bigint {
  if (value < 0n) invalid('units', value, 'must not be negative');
  if (value > MAX_UNITS) invalid('units', value, 'is too large');
  return value;
}

export function toUnits(value: bigint): Units {
  return checkedUnits(value).toString();
}

/** Parses `Units`: a canonical non-negative integer string (no sign, no leading zeros) within uint256. */
export function fromUnits(units: Units): bigint {
  if (typeof units !== 'string' || !CANONICAL_UNITS.test(units)) {
    invalid('units', units, 'must be a non-negative integer string without leading zeros');
  }
  return checkedUnits(BigInt(units));
}

/** Runs an amount check and returns its failure message instead of throwing (for lists of problems). */
export function amountProblem(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof DvctError && error.code === 'VALIDATION_FAILED') return error.message;
    throw error;
  }
}
