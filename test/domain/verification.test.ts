import { describe, expect, it } from 'vitest';
import { claimedNode, recordHashOf, verifyExchange, type ChainEvent, type ExchangeClaim } from '../../domain/verification';
import { hashRecord } from '../../lib/record-hash';

const node = (nodeId: string, ownerId: string) => ({ nodeId, dataId: `d-${nodeId}`, kind: 'raw-data', ownerId, dvctId: 'c', usecaseContractId: 'uc', dataProviderId: 'p', dataConsumerId: 'c' });
const claim: ExchangeClaim = {
  exchangeId: 'ex-1',
  instanceId: 'dvct-c',
  usecaseContractId: 'uc',
  providerId: 'p',
  consumerId: 'c',
  orchestratorId: 'o',
  report: { dataId: 'raw', incentiveForDataProvider: { numPoints: 5 } },
  nodeIds: ['n-in', 'n-out'],
  lines: [
    { payerId: 'c', recipientId: 'p', amount: '5' },
    { payerId: 'o', recipientId: 'p', amount: '2' },
  ],
  nodes: [claimedNode(node('n-in', 'p')), claimedNode(node('n-out', 'c'))],
  revoked: [],
  wallets: { c: '0xC', p: '0xP', o: '0xO' },
};
const keyOf = (id: string) => `key:${id}`;
const chainOf = (c: ExchangeClaim): ChainEvent[] => [
  { kind: 'ExchangeRecorded', recordHash: recordHashOf(c) },
  ...c.nodes.map((n) => ({ kind: 'NodeAnchored' as const, nodeKey: keyOf(n.nodeId), contentHash: hashRecord(n.content) })),
  ...c.lines!.map((l) => ({ kind: 'Allocated' as const, payer: c.wallets[l.payerId]!.toLowerCase(), recipient: c.wallets[l.recipientId]!.toLowerCase(), amount: BigInt(l.amount) })),
];
const verify = (c: ExchangeClaim, events: ChainEvent[]) => verifyExchange({ claim: c, events, keyOf, walletOf: () => undefined });

describe('verifying an exchange against the chain', () => {
  it('an untouched claim matches item by item', () => {
    const items = verify(claim, chainOf(claim));
    expect(items.map((i) => [i.item, i.id, i.match])).toEqual([
      ['record', 'ex-1', true],
      ['node', 'n-in', true],
      ['node', 'n-out', true],
      ['allocation', 'c>p', true],
      ['allocation', 'o>p', true],
    ]);
  });

  it('an altered report breaks the record hash and names the claiming instance', () => {
    const altered = { ...claim, report: { ...claim.report, incentiveForDataProvider: { numPoints: 50 } } };
    const record = verify(altered, chainOf(claim)).find((i) => i.item === 'record')!;
    expect(record).toMatchObject({ instanceId: 'dvct-c', match: false, onChainHash: recordHashOf(claim), reason: expect.stringContaining('dvct-c') });
  });

  it('altered node metadata breaks that node only', () => {
    const altered = { ...claim, nodes: [claim.nodes[0]!, claimedNode({ ...node('n-out', 'c'), dataProviderId: 'someone' })] };
    const items = verify(altered, chainOf(claim));
    expect(items.filter((i) => !i.match).map((i) => [i.item, i.id, i.instanceId])).toEqual([['node', 'n-out', 'dvct-c']]);
  });

  it('allocations count net of revocations; a revoked line is expected at zero', () => {
    const events: ChainEvent[] = [...chainOf(claim), { kind: 'Revoked', payer: '0xo', recipient: '0xp', amount: 2n }];
    expect(verify(claim, events).find((i) => i.id === 'o>p')).toMatchObject({ expected: '2', onChain: '0', match: false });
    expect(verify({ ...claim, revoked: [{ payerId: 'o', recipientId: 'p' }] }, events).find((i) => i.id === 'o>p')).toMatchObject({ expected: '0', onChain: '0', match: true });
  });

  it('what the chain holds beyond the claim is named: an allocation, an anchored node', () => {
    const events: ChainEvent[] = [...chainOf(claim), { kind: 'Allocated', payer: '0xo', recipient: '0xq', amount: 1n }, { kind: 'NodeAnchored', nodeKey: 'key:n-x', contentHash: '0x1' }];
    const bad = verify(claim, events).filter((i) => !i.match);
    expect(bad.map((i) => [i.item, i.id])).toEqual([
      ['node', 'key:n-x'],
      ['allocation', '0xo>0xq'],
    ]);
  });

  it('nothing on chain, or nothing allocated, is not verified', () => {
    expect(verify(claim, [])[0]).toMatchObject({ item: 'record', match: false, reason: 'no record of this exchange on chain' });
    expect(verify({ ...claim, lines: null }, [])[0]).toMatchObject({ item: 'record', match: false });
  });
});
