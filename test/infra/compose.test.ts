import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/paths';
import { composeProblems, environmentOf, interpolate, SAMPLE_VARIABLES, type ComposeFile } from './compose-rules';

/** docker-compose.yml as compose reads it (`<<` merge keys resolved). */
function loadCompose(): ComposeFile {
  return parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

function problemsAfter(change: (file: ComposeFile) => void): string[] {
  const file = loadCompose();
  change(file);
  return composeProblems(file, { repoRoot: REPO_ROOT });
}

function setEnv(file: ComposeFile, service: string, key: string, value: string | undefined): void {
  const env = environmentOf(file.services[service]);
  if (value === undefined) delete env[key];
  else env[key] = value;
  file.services[service]!.environment = env;
}

describe('docker-compose.yml', () => {
  it('configures the worker and the API only through DVCT variables, wired to its own services', () => {
    expect(composeProblems(loadCompose(), { repoRoot: REPO_ROOT })).toEqual([]);
  });

  it('gives the worker and the API the same database, Temporal and chain', () => {
    const { services } = loadCompose();
    const worker = environmentOf(services.worker);
    const api = environmentOf(services.api);
    for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'CHAIN_RPC_URL', 'DVCT_DEPLOYMENT_FILE']) {
      expect(api[key], key).toBeDefined();
      expect(api[key], key).toBe(worker[key]);
    }
    expect(interpolate(worker.DATABASE_URL!, SAMPLE_VARIABLES)).toBe('postgres://dvct:sample-password@postgres:5432/dvct');
    expect(worker.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  // The rules have to bite: each change below is a mistake someone could make.
  it.each([
    ['a renamed variable', (f: ComposeFile) => setEnv(f, 'worker', 'DATABASE_URI', environmentOf(f.services.worker).DATABASE_URL), /DATABASE_URI is not a variable/],
    ['a variable the API lacks', (f: ComposeFile) => setEnv(f, 'api', 'DATABASE_URL', undefined), /api: DATABASE_URL is not set/],
    ['diverging Temporal settings', (f: ComposeFile) => setEnv(f, 'api', 'TEMPORAL_TASK_QUEUE', 'other'), /disagree on TEMPORAL_TASK_QUEUE/],
    ['a database host that is no service', (f: ComposeFile) => {
      for (const s of ['worker', 'api']) setEnv(f, s, 'DATABASE_URL', 'postgres://dvct:${POSTGRES_PASSWORD}@db:5432/dvct');
    }, /not at a PostgreSQL service/],
    ['Temporal on the wrong port', (f: ComposeFile) => {
      for (const s of ['worker', 'api']) setEnv(f, s, 'TEMPORAL_ADDRESS', 'temporal:7234');
    }, /listens on 7233/],
    ['a literal signer key', (f: ComposeFile) => setEnv(f, 'worker', 'CHAIN_SIGNER_KEY', `0x${'22'.repeat(32)}`), /CHAIN_SIGNER_KEY must be a \$\{…\} placeholder/],
    ['a missing dependency', (f: ComposeFile) => {
      f.services.worker!.depends_on = { migrations: { condition: 'service_completed_successfully' } };
    }, /depends on "migrations"/],
    ['a search attribute not registered', (f: ComposeFile) => {
      const setup = f.services['temporal-setup']!;
      setup.command = (setup.command as string[]).map((c) => c.replace('--name DvctStage ', ''));
    }, /registers .* SEARCH_ATTRIBUTES says/],
    ['an invalid value', (f: ComposeFile) => setEnv(f, 'api', 'PORT', 'http'), /api: its environment is not a valid configuration/],
  ])('reports %s', (_, change, expected) => {
    const problems = problemsAfter(change);
    expect(problems.join('\n')).toMatch(expected);
  });
});
