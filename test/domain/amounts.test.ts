import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPpm,
  factorToPpm,
  fromUnits,
  MAX_UNITS,
  parseDecimal,
  POINT,
  pointsToUnits,
  sumUnits,
  toUnits,
  unitsToNumber,
  unitsToPoints,
} from '../../domain/amounts';
import { DvctError } from '../../domain/errors';

function expectValidationFailure(fn: () => unknown, messagePart?: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DvctError);
    expect((error as DvctError).code).toBe('VALIDATION_FAILED');
    if (messagePart) expect((error as DvctError).message).toContain(messagePart);
    return;
  }
  throw new Error('expected a VALIDATION_FAILED error, got none');
}

describe('pointsToUnits', () => {
  it.each<[number | string, bigint]>([
    [5, 5n * POINT],
    [0.1, 10n ** 17n],
    ['2.5', 25n * 10n ** 17n],
    [0, 0n],
    [-0, 0n],
    ['0', 0n],
    ['000.500', 5n * 10n ** 17n],
    [1e21, 10n ** 39n],
    ['1e-18', 1n],
    ['1.5E3', 1500n * POINT],
    ['12.5e-1', 125n * 10n ** 16n],
    ['0.000000000000000001', 1n],
    [1e-18, 1n],
    ['0e999999', 0n],
    [0.1 + 0.2, 300000000000000040n], // what the sender's number is, to the last written digit
  ])('%s points → %s units', (points, units) => {
    expect(pointsToUnits(points)).toBe(units);
  });

  it.each<[unknown, string]>([
    [-1, 'negative'],
    ['-0.5', 'negative'],
    [Number.NaN, 'finite'],
    [Number.POSITIVE_INFINITY, 'finite'],
    [1e-19, 'at most 18 decimals'],
    ['0.0000000000000000001', 'at most 18 decimals'],
    ['1.0000000000000000001', 'at most 18 decimals'],
    ['1e-19', 'at most 18 decimals'],
    ['', 'decimal number'],
    [' 1', 'decimal number'],
    ['1.', 'decimal number'],
    ['.5', 'decimal number'],
    ['+1', 'decimal number'],
    ['0x10', 'decimal number'],
    ['1e', 'decimal number'],
    ['five', 'decimal number'],
    ['1e100', 'too large'],
    ['1e99999999999', 'too large'],
    ['1e999999999999999999999', 'exponent out of range'],
    [null, 'number or a decimal string'],
  ])('rejects %s (%s)', (points, reason) => {
    expectValidationFailure(() => pointsToUnits(points as number, 'numPoints'), reason);
  });

  it('names the field and the value in the error', () => {
    expectValidationFailure(() => pointsToUnits(-3, 'incentiveForDataProvider.numPoints'), 'incentiveForDataProvider.numPoints must not be negative (got -3)');
  });

  it('reads integer.fraction strings exactly for every length of fraction up to 18', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.stringMatching(/^\d{1,18}$/), (whole, fraction) => {
        const expected = whole * POINT + BigInt(fraction.padEnd(18, '0'));
        expect(pointsToUnits(`${whole}.${fraction}`)).toBe(expected);
      }),
    );
  });

  it('gives the same value in exponent notation as written out', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 20n }), fc.integer({ min: -40, max: 20 }), (coefficient, exponent) => {
        const text = `${coefficient}e${exponent}`;
        const shift = exponent + 18;
        if (shift >= 0) {
          expect(pointsToUnits(text)).toBe(coefficient * 10n ** BigInt(shift));
        } else if (coefficient % 10n ** BigInt(-shift) === 0n) {
          expect(pointsToUnits(text)).toBe(coefficient / 10n ** BigInt(-shift));
        } else {
          expectValidationFailure(() => pointsToUnits(text), 'at most 18 decimals');
        }
      }),
    );
  });

  it('reads any accepted JS number as exactly the decimal it prints as', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e50, noNaN: true }), (points) => {
        let units: bigint;
        try {
          units = pointsToUnits(points);
        } catch (error) {
          expect((error as DvctError).code).toBe('VALIDATION_FAILED');
          // Refused only when the number has more than 18 decimals.
          const decimal = parseDecimal(points);
          expect(decimal.exponent).toBeLessThan(-18);
          return;
        }
        expect(Number(unitsToPoints(units))).toBe(points);
      }),
    );
  });
});

describe('unitsToPoints', () => {
  it.each<[bigint | string, string]>([
    [5n * POINT, '5'],
    [25n * 10n ** 17n, '2.5'],
    [1n, '0.000000000000000001'],
    [0n, '0'],
    ['1000000000000000000000', '1000'],
    ['100000000000000000', '0.1'],
  ])('%s units → "%s"', (units, points) => {
    expect(unitsToPoints(units)).toBe(points);
  });

  it('round-trips with pointsToUnits over the whole uint256 range, without trailing zeros', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_UNITS }), (units) => {
        const points = unitsToPoints(units);
        expect(points).not.toMatch(/\.\d*0$|^0\d/);
        expect(pointsToUnits(points)).toBe(units);
        expect(unitsToPoints(toUnits(units))).toBe(points);
      }),
    );
  });

  it('rejects negative and malformed units', () => {
    expectValidationFailure(() => unitsToPoints(-1n), 'negative');
    expectValidationFailure(() => unitsToPoints('1.5'));
  });
});

describe('unitsToNumber', () => {
  it('gives display numbers, rounding only beyond double precision', () => {
    expect(unitsToNumber(25n * 10n ** 17n)).toBe(2.5);
    expect(unitsToNumber('5000000000000000000')).toBe(5);
    expect(unitsToNumber(1n)).toBe(1e-18);
    expect(unitsToNumber(10n ** 18n + 1n)).toBe(1);
  });
});

describe('factorToPpm', () => {
  it.each<[number, bigint]>([
    [1, 1_000_000n],
    [0, 0n],
    [0.5, 500_000n],
    [0.333333, 333_333n],
    [0.000001, 1n],
    [1.0, 1_000_000n],
  ])('%s → %s ppm', (factor, ppm) => {
    expect(factorToPpm(factor)).toBe(ppm);
  });

  it.each([1.000001, 2, -0.1, 0.0000001, 0.3333333, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s', (factor) => {
    expectValidationFailure(() => factorToPpm(factor), 'factor');
  });

  it('reads every 6-decimal factor exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (ppm) => {
        expect(factorToPpm(ppm / 1e6)).toBe(BigInt(ppm));
      }),
    );
  });
});

describe('applyPpm', () => {
  it('rounds down to one base unit', () => {
    expect(applyPpm(5n * POINT, 333_333n)).toBe(1_666_665_000_000_000_000n);
    expect(applyPpm(1n, 500_000n)).toBe(0n);
    expect(applyPpm(3n, 999_999n)).toBe(2n);
    expect(applyPpm(7n, 1_000_000n)).toBe(7n);
  });

  it('is floor(amount × ppm / 10^6) for any amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_UNITS / 1_000_000n }), fc.bigInt({ min: 0n, max: 1_000_000n }), (amount, ppm) => {
        const result = applyPpm(amount, ppm);
        expect(result * 1_000_000n <= amount * ppm).toBe(true);
        expect((result + 1n) * 1_000_000n > amount * ppm).toBe(true);
        expect(result <= amount).toBe(true);
      }),
    );
  });

  it('rejects negative inputs', () => {
    expectValidationFailure(() => applyPpm(-1n, 1n));
    expectValidationFailure(() => applyPpm(1n, -1n));
  });
});

describe('Units conversion and sums', () => {
  it('converts canonically both ways', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_UNITS }), (value) => {
        expect(fromUnits(toUnits(value))).toBe(value);
        expect(toUnits(value)).toBe(value.toString());
      }),
    );
  });

  it.each(['01', '-1', '1.0', '', ' 1', '1e3', '0x1', (MAX_UNITS + 1n).toString()])('fromUnits rejects %j', (text) => {
    expectValidationFailure(() => fromUnits(text));
  });

  it('toUnits rejects negative and beyond-uint256 values', () => {
    expectValidationFailure(() => toUnits(-1n), 'negative');
    expectValidationFailure(() => toUnits(MAX_UNITS + 1n), 'too large');
  });

  it('sums mixed Units and bigints exactly', () => {
    expect(sumUnits(['1', 2n, '300000000000000000000'])).toBe(300000000000000000003n);
    expect(sumUnits([])).toBe(0n);
    expectValidationFailure(() => sumUnits(['1', '-2']));
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 40n })), (values) => {
        expect(sumUnits(values.map(toUnits))).toBe(values.reduce((a, b) => a + b, 0n));
      }),
    );
  });
});
