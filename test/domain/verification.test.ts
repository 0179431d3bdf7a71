import { describe, expect, it } from 'vitest';
import { claimedNode, recordHashOf, roundRecordHashOf, verifyExchange, type ChainEvent, type ExchangeClaim, type NodeCopy, type RoundClaim } from '../../domain/verification';
import { formatVerification } from '../../scripts/verify-report';
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
  rounds: [],
  wallets: { c: '0xC', p: '0xP', o: '0xO' },
};
const keyOf = (id: string) => `key:${id}`;
const chainOf = (c: ExchangeClaim): ChainEvent[] => [
  { kind: 'ExchangeRecorded', recordHash: recordHashOf(c) },
  ...c.nodes.map((n) => ({ kind: 'NodeAnchored' as const, nodeKey: keyOf(n.nodeId), contentHash: hashRecord(n.content) })),
  ...c.lines!.map((l) => ({ kind: 'Allocated' as const, payer: c.wallets[l.payerId]!.toLowerCase(), recipient: c.wallets[l.recipientId]!.toLowerCase(), amount: BigInt(l.amount) })),
];
const verify = (c: ExchangeClaim, events: ChainEvent[], more: { roundEvents?: Map<string, ChainEvent[]>; own?: { instanceId: string; nodes: NodeCopy[] } } = {}) =>
  verifyExchange({ claim: c, events, keyOf, walletOf: () => undefined, ...more });

// An incident's correction: 2 more points from o to c, allocated as the round `ex-1/inc-1`.
const round: RoundClaim = { incidentId: 'inc-1', decision: { decision: 'approve-correction', decidedBy: 'automatic' }, lines: [{ payerId: 'o', recipientId: 'c', amount: '2' }], revoked: [] };
const roundChain = (r: RoundClaim): ChainEvent[] => [
  { kind: 'ExchangeRecorded', recordHash: roundRecordHashOf('ex-1', r) },
  ...r.lines.map((l) => ({ kind: 'Allocated' as const, payer: claim.wallets[l.payerId]!.toLowerCase(), recipient: claim.wallets[l.recipientId]!.toLowerCase(), amount: BigInt(l.amount) })),
];
const withRound = { ...claim, rounds: [round] };

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
    expect(verify(claim, [])[0]).toMatchObject({ item: 'record', match: false, reason: 'no record of ex-1 on chain' });
    expect(verify({ ...claim, lines: null }, [])[0]).toMatchObject({ item: 'record', match: false });
  });

  it('a correction round is verified under its own subject: its record and its allocations, one item each', () => {
    const items = verify(withRound, chainOf(claim), { roundEvents: new Map([['inc-1', roundChain(round)]]) });
    expect(items.slice(-2).map((i) => [i.item, i.id, i.subject, i.match])).toEqual([
      ['record', 'ex-1/inc-1', 'ex-1/inc-1', true],
      ['allocation', 'o>c', 'ex-1/inc-1', true],
    ]);
    expect(items.every((i) => i.match)).toBe(true);
    // The exchange's own items keep their subject.
    expect(items[0]).toMatchObject({ item: 'record', id: 'ex-1', subject: 'ex-1' });
  });

  it('a correction round whose decision or lines were altered, or that is not on chain, does not match', () => {
    const events = new Map([['inc-1', roundChain(round)]]);
    const decided = { ...withRound, rounds: [{ ...round, decision: { decision: 'adjust', decidedBy: 'automatic' } }] };
    expect(verify(decided, chainOf(claim), { roundEvents: events }).filter((i) => !i.match).map((i) => [i.item, i.id])).toEqual([['record', 'ex-1/inc-1']]);
    const more = { ...withRound, rounds: [{ ...round, lines: [{ payerId: 'o', recipientId: 'c', amount: '20' }] }] };
    expect(verify(more, chainOf(claim), { roundEvents: events }).filter((i) => !i.match).map((i) => [i.item, i.id, i.subject])).toEqual([
      ['record', 'ex-1/inc-1', 'ex-1/inc-1'],
      ['allocation', 'o>c', 'ex-1/inc-1'],
    ]);
    // The round's allocation does not count towards the exchange's own subject, nor the reverse.
    const none = verify(withRound, [...chainOf(claim), ...roundChain(round)]);
    expect(none.filter((i) => !i.match).map((i) => [i.item, i.id, i.subject])).toEqual([
      ['allocation', '0xo>0xc', 'ex-1'],
      ['record', 'ex-1/inc-1', 'ex-1/inc-1'],
      ['allocation', 'o>c', 'ex-1/inc-1'],
    ]);
  });

  it('the verifier\'s own copies: the same data and owner as anchored, whatever their metadata', () => {
    const copies: NodeCopy[] = [
      { nodeId: 'n-in', dataId: 'd-n-in', ownerId: 'p', placeholder: false },
      { nodeId: 'n-out', dataId: 'd-n-out', ownerId: null, placeholder: true },
    ];
    const items = verify(claim, chainOf(claim), { own: { instanceId: 'dvct-p', nodes: copies } });
    expect(items.filter((i) => i.instanceId === 'dvct-p').map((i) => [i.item, i.id, i.match])).toEqual([
      ['node', 'n-in', true],
      ['node', 'n-out', true],
    ]);
    const altered = verify(claim, chainOf(claim), { own: { instanceId: 'dvct-p', nodes: [{ ...copies[0]!, ownerId: 'someone' }] } });
    expect(altered.filter((i) => !i.match)).toEqual([expect.objectContaining({ item: 'node', id: 'n-in', instanceId: 'dvct-p', reason: expect.stringContaining('owner someone, anchored p') })]);
    // Not comparable when the running instance's claim is not what was anchored: said so, not passed.
    const tampered = { ...claim, nodes: [claimedNode({ ...node('n-in', 'p'), dvctId: 'x' }), claim.nodes[1]!] };
    const blind = verify(tampered, chainOf(claim), { own: { instanceId: 'dvct-p', nodes: copies } });
    expect(blind.find((i) => i.instanceId === 'dvct-p' && i.id === 'n-in')).toMatchObject({ match: false, reason: expect.stringContaining('not compared') });
    // The running instance verifying its own exchange has no second copy to compare.
    expect(verify(claim, chainOf(claim), { own: { instanceId: 'dvct-c', nodes: copies } }).filter((i) => i.item === 'node')).toHaveLength(2);
  });

  it('prints one line per item, a round\'s items naming their round', () => {
    const items = verify(withRound, chainOf(claim), { roundEvents: new Map([['inc-1', [roundChain(round)[0]!]]]) });
    const text = formatVerification({ exchangeId: 'ex-1', verified: false, checkedAt: 'now', items });
    const lines = text.split('\n');
    expect(lines).toHaveLength(1 + items.length);
    expect(lines.at(-1)).toMatch(/^ {2}MISMATCH allocation o>c \(ex-1\/inc-1\) {2}\[dvct-c\] {2}expected 2 \/ on chain 0 {2}— /);
  });
});
