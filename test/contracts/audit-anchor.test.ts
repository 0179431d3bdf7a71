import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLogs } from 'viem';
import { abi as ledgerAbi } from '../../contracts/artifacts/PointsLedger';
import { startChainFixture, type ChainFixture } from '../chain/fixture';
import { contractCalls } from './calls';
import { revertOf } from './helpers';

/** The audit trail's head on chain: only the operator writes it, and only forward. */
let f: ChainFixture;
let call: ReturnType<typeof contractCalls>;

const head = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const;

beforeAll(async () => {
  f = await startChainFixture();
  call = contractCalls(f);
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

describe('PointsLedger.anchorAudit', () => {
  it('lets only the operator write a head, and emits it', async () => {
    const outsider = f.wallet(5);
    expect((await revertOf(call.ledger(outsider, 'anchorAudit', [head(1), 1n]))).name).toBe('AccessControlUnauthorizedAccount');
    const receipt = await call.ledger(f.operator.walletClient, 'anchorAudit', [head(1), 1n]);
    const [event] = parseEventLogs({ abi: ledgerAbi, logs: receipt.logs, eventName: 'AuditAnchored' });
    expect(event?.args).toEqual({ seq: 1n, head: head(1) });
    expect(await f.ledger.auditAnchor()).toEqual({ seq: 1, head: head(1) });
  });

  it('moves only forward: the same or an older seq is refused', async () => {
    await call.ledger(f.operator.walletClient, 'anchorAudit', [head(7), 7n]);
    expect(await revertOf(call.ledger(f.operator.walletClient, 'anchorAudit', [head(99), 7n]))).toMatchObject({ name: 'StaleAuditAnchor' });
    expect(await revertOf(call.ledger(f.operator.walletClient, 'anchorAudit', [head(3), 3n]))).toMatchObject({ name: 'StaleAuditAnchor' });
    expect(await f.ledger.auditAnchor()).toEqual({ seq: 7, head: head(7) });
  });

  it('through the Ledger, is idempotent: a repeat returns the original transaction', async () => {
    const first = await f.ledger.anchorAudit(head(12), 12);
    expect(first.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await f.ledger.anchorAudit(head(12), 12)).toEqual(first);
    // An older head is not sent; it is not the one anchored, so there is no transaction to name.
    expect(await f.ledger.anchorAudit(head(10), 10)).toEqual({ txHash: null });
  });
});
