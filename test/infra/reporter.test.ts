import { describe, expect, it } from 'vitest';
import type { TestModule } from 'vitest/node';
import { countResults, formatSummary } from '../support/reporter';

type State = 'passed' | 'failed' | 'skipped' | 'pending';

/** Just the part of vitest's TestModule the reporter reads. */
function module(states: State[], opts: { moduleErrors?: number; suiteErrors?: number[] } = {}): TestModule {
  const withErrors = (count: number) => ({ errors: () => Array.from({ length: count }, () => ({ message: 'boom' })) });
  return {
    ...withErrors(opts.moduleErrors ?? 0),
    children: {
      *allTests() {
        for (const state of states) yield { result: () => ({ state }) };
      },
      *allSuites() {
        for (const count of opts.suiteErrors ?? []) yield withErrors(count);
      },
    },
  } as unknown as TestModule;
}

describe('the closing summary line', () => {
  it('has exactly the form CI parses', () => {
    expect(formatSummary({ passed: 12, failed: 1, skipped: 3 })).toBe('tests: 12 passed, 1 failed, 3 skipped');
  });

  it('counts passed, failed and skipped tests over all files, todo and pending as skipped', () => {
    const counts = countResults([module(['passed', 'passed', 'failed']), module(['skipped', 'pending', 'passed'])], []);
    expect(counts).toEqual({ passed: 3, failed: 1, skipped: 2 });
  });

  it('counts failures no test carries: a file that did not load, a failing hook, an unhandled error', () => {
    const counts = countResults([module([], { moduleErrors: 1 }), module(['skipped'], { suiteErrors: [0, 2] })], [new Error('unhandled')]);
    expect(counts).toEqual({ passed: 0, failed: 3, skipped: 1 });
  });
});
