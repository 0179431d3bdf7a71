import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/config';
import { openOrm } from './orm';

/**
 * A throwaway database: each test file and each run of db/create-migration.ts works in a fresh one
 * of its own and drops it afterwards. PostgreSQL ones are created on the server `serverUrl` points
 * at (any database there, e.g. postgres://postgres@127.0.0.1:5433/postgres); SQLite ones are a
 * file in a new temp folder.
 */
export interface ScratchDatabase {
  config: Config['database'];
  drop(): Promise<void>;
}

/** Named `dvct_<label>_<random>`; on PostgreSQL when `postgresServerUrl` is given, else SQLite. */
export async function createScratchDatabase(opts: { label: string; postgresServerUrl?: string }): Promise<ScratchDatabase> {
  if (!/^[a-z][a-z0-9_]*$/.test(opts.label)) throw new Error(`Scratch database label must be lowercase snake_case: ${opts.label}`);
  const name = `dvct_${opts.label}_${randomBytes(6).toString('hex')}`;
  const serverUrl = opts.postgresServerUrl;
  if (!serverUrl) {
    const dir = await mkdtemp(join(tmpdir(), `${name}-`));
    return { config: { kind: 'sqlite', path: join(dir, 'dvct.sqlite') }, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  await onServer(serverUrl, `create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    config: { kind: 'postgresql', url: url.toString() },
    // WITH (FORCE): a connection somebody forgot to close must not keep the database alive.
    drop: () => onServer(serverUrl, `drop database if exists "${name}" with (force)`),
  };
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const orm = await openOrm({ kind: 'postgresql', url: serverUrl });
  try {
    await orm.em.getConnection().execute(sql);
  } finally {
    await orm.close();
  }
}
