import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedDvct } from './bench/embedded-dvct';
import { postExchange, setUpMembers } from './bench/members';
import { ensureSchemathesis } from './tools/schemathesis';

/**
 * `npm run fuzz [-- --examples 20 --seed N --checks a,b]`: fuzzes the HTTP API from its own OpenAPI document
 * with schemathesis, against an embedded DVCT (Temporal dev server, anvil, a fresh SQLite, the
 * worker and the API as their own processes) seeded with members, a contract and an exchange.
 * Two passes, as the operator and as a connector, each checking that no request gets a 5xx and
 * every response matches the document. Prints the number of requests; exits 1 on any failure or
 * when fewer than --min-requests were made.
 */
const { values } = parseArgs({
  options: {
    examples: { type: 'string', default: '20' },
    seed: { type: 'string' },
    'min-requests': { type: 'string', default: '1000' },
    /** More of schemathesis's checks, to explore; CI runs the two the issue requires. */
    checks: { type: 'string', default: 'not_a_server_error,response_schema_conformance' },
  },
});
const EXAMPLES = Number(values.examples);
const MIN_REQUESTS = Number(values['min-requests']);
const SEED = values.seed ?? String(Date.now() % 1_000_000);
if (!(EXAMPLES > 0) || !(MIN_REQUESTS >= 0)) {
  console.error('usage: npm run fuzz -- [--examples N] [--seed N] [--min-requests N] [--checks not_a_server_error,…]');
  process.exit(2);
}

const say = (message: string) => console.log(`[fuzz] ${message}`);

/** One schemathesis pass as `key`; answers its exit code and how many requests it sent (from its HAR report). */
async function fuzzAs(bin: string, openapiUrl: string, who: string, key: string, folder: string): Promise<{ exitCode: number; requests: number }> {
  const har = join(folder, `${who}.har`);
  const args = [
    'run',
    openapiUrl,
    '--checks',
    values.checks!,
    '--max-examples',
    String(EXAMPLES),
    '--seed',
    SEED,
    '--phases',
    'examples,coverage,fuzzing',
    '--workers',
    '2',
    '--request-timeout',
    '20',
    '--suppress-health-check',
    'all',
    '--continue-on-failure',
    '--header',
    `Authorization: Bearer ${key}`,
    '--report',
    'har',
    '--report-har-path',
    har,
    '--output-sanitize',
    'true',
  ];
  say(`pass as the ${who}: schemathesis ${args.filter((a) => !a.startsWith('Authorization')).join(' ')}`);
  const exitCode = await new Promise<number>((resolve, reject) => {
    // From the run's own folder: schemathesis keeps its example database in the working directory.
    const child = spawn(bin, args, { cwd: folder, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
  let requests = 0;
  try {
    requests = (JSON.parse(readFileSync(har, 'utf8')) as { log: { entries: unknown[] } }).log.entries.length;
  } catch (err) {
    say(`no HAR report from the ${who}'s pass: ${(err as Error).message}`);
  }
  return { exitCode, requests };
}

async function main(): Promise<number> {
  const bin = await ensureSchemathesis(say);
  const folder = mkdtempSync(join(tmpdir(), 'dvct-fuzz-'));
  const dvct = await startEmbeddedDvct({ label: 'fuzz', say });
  try {
    // The embedded DVCT runs without the per-key rate limit: the fuzzer is one key sending as fast
    // as it can (test/api/rate-limit.test.ts covers the limit).
    say('seeding members, a contract and an exchange');
    const members = await setUpMembers(dvct, { exchanges: 4, pointsPerExchange: 1, verificationWindowSeconds: 5 });
    await postExchange(dvct, members, 0);
    await members.close();

    const openapiUrl = `${dvct.apiUrl}/openapi.json`;
    const passes = [
      { who: 'operator', key: dvct.operatorKey },
      { who: 'connector', key: members.consumer.apiKey },
    ];
    let requests = 0;
    let failed = false;
    for (const pass of passes) {
      const result = await fuzzAs(bin, openapiUrl, pass.who, pass.key, folder);
      say(`the ${pass.who}'s pass: ${result.requests} requests, schemathesis exit code ${result.exitCode}`);
      requests += result.requests;
      failed ||= result.exitCode !== 0;
    }
    const enough = requests >= MIN_REQUESTS;
    console.log(
      `fuzz: ${requests} requests (seed ${SEED}), checks ${values.checks}: ${failed ? 'FAILURES (see above)' : 'no failures'}` +
        (enough ? '' : `; fewer than the ${MIN_REQUESTS} required`),
    );
    return failed || !enough ? 1 : 0;
  } finally {
    await dvct.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
