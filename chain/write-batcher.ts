import type { TransactionReceipt } from 'viem';

/** How a batcher sends: one entry alone, or several in one transaction. */
export interface BatchedWrite<E> {
  sendOne(entry: E): Promise<TransactionReceipt>;
  sendMany(entries: readonly E[]): Promise<TransactionReceipt>;
  /** What an entry costs of a transaction's capacity (e.g. its allocation lines). */
  weight(entry: E): number;
}

export interface WriteBatcherOptions {
  /**
   * How long the first entry of a batch waits for others. 0 sends every entry at once, alone. A
   * chain that mines every few seconds loses nothing by waiting a fraction of a block.
   */
  windowMs: number;
  /** A batch is sent as soon as it weighs this much (bounds the transaction's gas). */
  maxWeight: number;
}

interface Waiting<E> {
  entry: E;
  resolve: (receipt: TransactionReceipt) => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces chain writes of one kind that arrive within a short window into one transaction, and
 * answers every caller with that transaction's receipt. A batch is all or nothing on chain; when
 * it fails for any reason (one entry reverts, a receipt never comes, the chain lost it), each of
 * its entries is sent again alone, so each caller gets its own outcome — the ledger's own
 * idempotency (an allocation key is used once; a released line cannot be released again) makes
 * resending an entry the batch did write harmless.
 */
export class WriteBatcher<E> {
  private open: Waiting<E>[] = [];
  private openWeight = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: BatchedWrite<E>,
    private readonly opts: WriteBatcherOptions,
  ) {}

  submit(entry: E): Promise<TransactionReceipt> {
    if (this.opts.windowMs <= 0) return this.write.sendOne(entry);
    return new Promise<TransactionReceipt>((resolve, reject) => {
      const weight = this.write.weight(entry);
      if (this.open.length > 0 && this.openWeight + weight > this.opts.maxWeight) this.flush();
      this.open.push({ entry, resolve, reject });
      this.openWeight += weight;
      if (this.openWeight >= this.opts.maxWeight) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.opts.windowMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.open;
    this.open = [];
    this.openWeight = 0;
    if (batch.length === 0) return;
    if (batch.length === 1) {
      const [only] = batch as [Waiting<E>];
      this.write.sendOne(only.entry).then(only.resolve, only.reject);
      return;
    }
    this.write.sendMany(batch.map((w) => w.entry)).then(
      (receipt) => batch.forEach((w) => w.resolve(receipt)),
      () => batch.forEach((w) => this.write.sendOne(w.entry).then(w.resolve, w.reject)),
    );
  }
}
