import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildContracts, computeSourceHash, staleArtifacts } from '../../contracts/build';
import { readContractSources } from '../../contracts/compile';

describe('contract artifacts', () => {
  it('are exactly what compiling the current sources gives (run `npm run contracts:build` if not)', () => {
    const rebuilt = buildContracts({ write: false });
    expect(rebuilt.map((f) => f.name)).toEqual(['IncentiveToken', 'PointsLedger']);
    for (const file of rebuilt) {
      expect(readFileSync(file.path, 'utf8'), `${file.path} is stale`).toBe(file.content);
    }
    expect(staleArtifacts()).toEqual([]);
  }, 120_000);

  it('detect a changed source through the source hash', () => {
    const sources = readContractSources();
    const [unit] = Object.keys(sources);
    const edited = { ...sources, [unit!]: `${sources[unit!]}\n// edited` };
    expect(computeSourceHash(edited)).not.toBe(computeSourceHash(sources));
    expect(computeSourceHash(sources)).toBe(computeSourceHash(readContractSources()));
  });
});
