import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Produces the plain closing line CI reads: `tests: N passed, M failed, K skipped`.
 *
 * `failed` also counts failures no test carries — a file that did not load, a beforeAll/afterAll
 * that threw, an unhandled error — so a red run never reports "0 failed".
 * Under `npm test` (scripts/test.ts sets DVCT_TEST_SUMMARY_FILE) the line is written to that file
 * and printed after vitest has exited, so nothing vitest prints later can follow it; a bare
 * `vitest run` prints it directly.
 */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export const SUMMARY_FILE_ENV = 'DVCT_TEST_SUMMARY_FILE';

export function formatSummary(c: TestCounts): string {
  return `tests: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
}

export function countResults(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): TestCounts {
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const module of modules) {
    for (const test of module.children.allTests()) {
      const { state } = test.result();
      if (state === 'passed') counts.passed += 1;
      else if (state === 'failed') counts.failed += 1;
      else counts.skipped += 1;
    }
    const suitesWithErrors = [module, ...module.children.allSuites()].filter((s) => s.errors().length > 0);
    counts.failed += suitesWithErrors.length;
  }
  counts.failed += unhandledErrors.length;
  return counts;
}

export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    const line = formatSummary(countResults(modules, unhandledErrors));
    const file = process.env[SUMMARY_FILE_ENV];
    if (file) writeFileSync(file, `${line}\n`);
    else process.stdout.write(`${line}\n`);
  }
}
