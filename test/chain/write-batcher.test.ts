import type { TransactionReceipt } from 'viem';
import { describe, expect, it } from 'vitest';
import { WriteBatcher, type BatchedWrite } from '../../chain/write-batcher';

/**
 * The batcher's own rules, with a recording stand-in for the chain: which entries go out together,
 * when, and what each caller is answered. The ledger on anvil is tested in ledger-batching.test.ts.
 */
interface Entry {
  id: string;
  weight: number;
  /** This entry makes any transaction it is in fail. */
  poison?: boolean;
}

function recordingWrite() {
  const sent: string[][] = [];
  let tx = 0;
  const send = async (entries: readonly Entry[]): Promise<TransactionReceipt> => {
    sent.push(entries.map((e) => e.id));
    if (entries.some((e) => e.poison)) throw new Error(`reverted: ${entries.map((e) => e.id).join(',')}`);
    tx += 1;
    return { transactionHash: `0x${String(tx).padStart(64, '0')}` } as TransactionReceipt;
  };
  const write: BatchedWrite<Entry> = { sendOne: (e) => send([e]), sendMany: send, weight: (e) => e.weight };
  return { write, sent };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WriteBatcher', () => {
  it('with no window sends every entry alone, at once', async () => {
    const { write, sent } = recordingWrite();
    const batcher = new WriteBatcher(write, { windowMs: 0, maxWeight: 10 });
    const receipts = await Promise.all(['a', 'b'].map((id) => batcher.submit({ id, weight: 1 })));
    expect(sent).toEqual([['a'], ['b']]);
    expect(new Set(receipts.map((r) => r.transactionHash)).size).toBe(2);
  });

  it('sends what arrives within the window as one transaction, and answers everyone with it', async () => {
    const { write, sent } = recordingWrite();
    const batcher = new WriteBatcher(write, { windowMs: 30, maxWeight: 100 });
    const first = batcher.submit({ id: 'a', weight: 1 });
    await sleep(5);
    const second = batcher.submit({ id: 'b', weight: 1 });
    const [ra, rb] = await Promise.all([first, second]);
    expect(sent).toEqual([['a', 'b']]);
    expect(ra.transactionHash).toBe(rb.transactionHash);
    // A later entry opens a batch of its own; a batch of one goes out as a single write.
    await batcher.submit({ id: 'c', weight: 1 });
    expect(sent).toEqual([['a', 'b'], ['c']]);
  });

  it('sends a batch as soon as it is full, without waiting out the window', async () => {
    const { write, sent } = recordingWrite();
    const batcher = new WriteBatcher(write, { windowMs: 60_000, maxWeight: 5 });
    const started = Date.now();
    await Promise.all([batcher.submit({ id: 'a', weight: 2 }), batcher.submit({ id: 'b', weight: 3 })]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sent).toEqual([['a', 'b']]);
  });

  it('never lets a batch grow past its weight: an entry that would not fit starts the next one', async () => {
    const { write, sent } = recordingWrite();
    const batcher = new WriteBatcher(write, { windowMs: 20, maxWeight: 5 });
    await Promise.all([batcher.submit({ id: 'a', weight: 3 }), batcher.submit({ id: 'b', weight: 3 }), batcher.submit({ id: 'c', weight: 1 })]);
    expect(sent).toEqual([['a'], ['b', 'c']]);
  });

  it('when a batch fails, sends each entry alone, so only the failing one fails', async () => {
    const { write, sent } = recordingWrite();
    const batcher = new WriteBatcher(write, { windowMs: 20, maxWeight: 100 });
    const results = await Promise.allSettled([
      batcher.submit({ id: 'a', weight: 1 }),
      batcher.submit({ id: 'bad', weight: 1, poison: true }),
      batcher.submit({ id: 'c', weight: 1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('reverted: bad');
    expect(sent).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });
});
