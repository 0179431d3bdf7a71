import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { isProcessAlive } from '../../scripts/services/child-process';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/services/temporal';
import { ensureTemporalCli } from '../../scripts/tools/temporal-cli';

/** temporal.api.enums.v1.IndexedValueType, as listSearchAttributes reports types. */
const INDEXED_VALUE_TYPE = { Keyword: 2, KeywordList: 7 } as const;

async function customSearchAttributes(address: string, namespace: string): Promise<Record<string, number>> {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return Object.fromEntries(Object.entries(customAttributes ?? {}).map(([name, type]) => [name, Number(type)]));
  } finally {
    await connection.close();
  }
}

function expectDvctSearchAttributes(registered: Record<string, number>): void {
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    expect(registered[name], `search attribute ${name}`).toBe(INDEXED_VALUE_TYPE[type]);
  }
}

describe('Temporal dev server manager', () => {
  const folder = mkdtempSync(join(tmpdir(), 'dvct-temporal-'));
  const running = new Set<TemporalDevServer>();
  afterAll(async () => {
    for (const server of running) await server.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('registers the DVCT search attributes on the suite server', async () => {
    expectDvctSearchAttributes(await customSearchAttributes(inject('temporalAddress'), inject('temporalNamespace')));
  });

  it('keeps a finished run across a restart on the same file, and restores a missing search attribute', async () => {
    const cliPath = await ensureTemporalCli();
    const dbFile = join(folder, 'temporal.sqlite');
    const namespace = 'dvct-restart';
    const workflowId = `restart-${randomUUID()}`;

    const first = await startTemporalDevServer({ cliPath, dbFile, namespace });
    running.add(first);
    const connection = await Connection.connect({ address: first.address });
    const client = new Client({ connection, namespace });
    // No worker polls this queue: the run only has to exist, and terminating it closes it.
    const handle = await client.workflow.start('NotRegisteredAnywhere', { taskQueue: `tq-${randomUUID()}`, workflowId });
    await handle.terminate('checked after a restart');
    // A database file made before an attribute was added to SEARCH_ATTRIBUTES lacks it.
    await connection.operatorService.removeSearchAttributes({ namespace, searchAttributes: ['DvctReviewStatus'] });
    expect(await customSearchAttributes(first.address, namespace)).not.toHaveProperty('DvctReviewStatus');
    await connection.close();
    await first.stop();
    running.delete(first);
    expect(isProcessAlive(first.pid)).toBe(false);

    const second = await startTemporalDevServer({ cliPath, dbFile, namespace });
    running.add(second);
    const again = new Client({ connection: await Connection.connect({ address: second.address }), namespace });
    try {
      const described = await again.workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('TERMINATED');
      const listed = [];
      for await (const run of again.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed.push(run.workflowId);
      expect(listed).toEqual([workflowId]);
      expectDvctSearchAttributes(await customSearchAttributes(second.address, namespace));
    } finally {
      await again.connection.close();
    }
  });

  it('refuses a port that is already taken instead of reporting the other server as its own', async () => {
    const port = Number(inject('temporalAddress').split(':')[1]);
    await expect(startTemporalDevServer({ cliPath: await ensureTemporalCli(), port })).rejects.toThrow(/in use/);
  });
});
