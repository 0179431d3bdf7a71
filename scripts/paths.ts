import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Locations the scripts need, independent of the directory they are started from. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The project's own Node 24 (npm package `node`): children run on it whatever `node` comes first
 * on PATH, since the machine's may be too old for vitest and MikroORM.
 */
export const NODE_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'node');

/**
 * tsx as a loader (`node --import <this> file.ts`): one process per service, so the PID we hold
 * is the service itself — the `tsx` command would put a relaying parent in between.
 */
export const TSX_LOADER = pathToFileURL(createRequire(join(REPO_ROOT, 'package.json')).resolve('tsx')).href;
