import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummary, SUMMARY_FILE_ENV } from '../test/support/reporter';
import { NODE_BIN, REPO_ROOT } from './paths';
import { ensureTemporalCli } from './tools/temporal-cli';

/**
 * `npm test [vitest args…]`: makes sure the Temporal CLI exists (building it on a fresh machine),
 * runs `vitest run` on the project's Node 24, and ends with the line CI reads:
 * `tests: N passed, M failed, K skipped`. The exit code is vitest's.
 */
const VITEST_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'vitest');
const REPORTER = join(REPO_ROOT, 'test', 'support', 'reporter.ts');

/** A run that broke before vitest could count anything still has to read as failed. */
const BROKEN_RUN = formatSummary({ passed: 0, failed: 1, skipped: 0 });

async function runVitest(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const vitest = spawn(NODE_BIN, [VITEST_BIN, 'run', ...args], { cwd: REPO_ROOT, stdio: 'inherit', env });
  // Ctrl-C reaches vitest itself (same terminal); wait for it to wind down so the line still prints.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => vitest.kill('SIGTERM'));
  const [code, signal] = (await once(vitest, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code === null) console.error(`vitest was stopped by ${signal}`);
  return code ?? 1;
}

async function main(): Promise<number> {
  let cliPath: string;
  try {
    cliPath = await ensureTemporalCli();
  } catch (err) {
    console.error((err as Error).message);
    console.log(BROKEN_RUN);
    return 1;
  }

  const args = process.argv.slice(2);
  // A --reporter on the command line replaces the configured reporters; keep the one that counts.
  if (args.some((a) => a.startsWith('--reporter'))) args.push(`--reporter=${REPORTER}`);
  const folder = mkdtempSync(join(tmpdir(), 'dvct-test-run-'));
  const summaryFile = join(folder, 'summary.txt');
  try {
    const exitCode = await runVitest(args, { ...process.env, TEMPORAL_CLI_PATH: cliPath, [SUMMARY_FILE_ENV]: summaryFile });
    let summary: string;
    try {
      summary = readFileSync(summaryFile, 'utf8').trim();
    } catch {
      console.error(`vitest ended (exit code ${exitCode}) before reporting any result; counted as one failure.`);
      summary = BROKEN_RUN;
    }
    console.log(summary);
    return exitCode;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

process.exitCode = await main();
