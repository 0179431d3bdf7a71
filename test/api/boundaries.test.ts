import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The API process must not load worker code: not @temporalio/worker (its native core), not
 * activities, not the workflow implementations. Walks the static imports from api/main.ts.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

function sourceFile(fromFile: string, specifier: string): string | null {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  return null;
}

function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const [statement, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      // Type-only imports vanish at run time.
      if (/^\s*(?:import|export)\s+type\s/.test(statement)) continue;
      if (specifier!.startsWith('.')) {
        const next = sourceFile(file, specifier!);
        if (!next) throw new Error(`${relative(ROOT, file)} imports ${specifier}, which does not resolve`);
        queue.push(next);
      } else {
        packages.add(specifier!);
      }
    }
  }
  return { files, packages };
}

describe('the API process', () => {
  it('loads no worker, activity or workflow implementation code', () => {
    const { files, packages } = importGraph(join(ROOT, 'api/main.ts'));
    const loaded = [...files].map((f) => relative(ROOT, f));
    expect(loaded).toContain('api/app.ts');
    expect(loaded).toContain('api/routes/exchanges.ts');
    expect(loaded.filter((f) => /^(worker|activities)\//.test(f))).toEqual([]);
    expect(loaded.filter((f) => f.startsWith('workflows/') && f !== 'workflows/definitions.ts')).toEqual([]);
    expect([...packages].filter((p) => p.startsWith('@temporalio/worker'))).toEqual([]);
  });

  it('(control) the same walk does find the worker in the worker process', () => {
    const { files, packages } = importGraph(join(ROOT, 'worker/main.ts'));
    expect(packages).toContain('@temporalio/worker');
    expect([...files].some((f) => relative(ROOT, f).startsWith('activities/'))).toBe(true);
  });
});
