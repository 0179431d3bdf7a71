import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // One Temporal dev server and one anvil for the whole run; test files get them through inject().
    globalSetup: ['test/support/global-setup.ts'],
    // Forks, not threads: the Temporal worker's native core and the SQLite driver want a process each.
    pool: 'forks',
    maxWorkers: 2,
    // Tests drive real servers and chain transactions; a start-up hook may bundle workflow code.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/reporter.ts'],
  },
});
