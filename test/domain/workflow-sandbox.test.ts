import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

describe('pure domain modules in the workflow sandbox', () => {
  it('bundle for Temporal without Node built-ins or I/O libraries', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./sandbox/pure-domain-workflow.ts', import.meta.url)),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    expect(code).toContain('pureDomainWorkflow');
    expect(code).toContain('computeExchangeDistribution');
    // zod belongs to the API side (domain/schemas); it must not ride into workflows.
    expect(code).not.toMatch(/node_modules\/zod\//);
  }, 60_000);
});
