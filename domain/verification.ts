import { z } from 'zod';
import { hashRecord } from '../lib/record-hash';
import { nodeContent } from './node-content';

/**
 * Independent verification of an exchange: what the instance that ran it claims (exactly the
 * inputs it hashed when it anchored the exchange) against what the chain holds. Pure: the caller
 * reads the chain and fetches the claim; this says, item by item, what matches.
 */

const line = z.looseObject({ payerId: z.string(), recipientId: z.string(), amount: z.string().regex(/^\d+$/) });

export const exchangeClaimSchema = z
  .object({
    exchangeId: z.string(),
    instanceId: z.string().describe('The instance that ran the exchange and makes this claim'),
    usecaseContractId: z.string(),
    providerId: z.string().nullable(),
    consumerId: z.string().nullable(),
    orchestratorId: z.string().nullable(),
    report: z.record(z.string(), z.unknown()).nullable().describe('The report as stored: one input of the record hash'),
    nodeIds: z.array(z.string()).describe('The anchored nodes, in the order hashed'),
    lines: z.array(line).nullable().describe('The distribution\'s lines as allocated; null while nothing is allocated'),
    nodes: z.array(z.object({ nodeId: z.string(), content: z.record(z.string(), z.unknown()) })).describe('Each anchored node\'s content as hashed'),
    revoked: z.array(z.object({ payerId: z.string(), recipientId: z.string() })).describe('Lines of the exchange\'s own round revoked since'),
    wallets: z.record(z.string(), z.string()).describe('The wallet of every payer and recipient, as the claiming instance knows it'),
  })
  .strict();

export type ExchangeClaim = z.infer<typeof exchangeClaimSchema>;

export type ClaimedNode = ExchangeClaim['nodes'][number];

/** A node as hashed: the same function the worker anchors with. */
export function claimedNode(node: Parameters<typeof nodeContent>[0]): ClaimedNode {
  return { nodeId: node.nodeId, content: { ...nodeContent(node) } };
}

export interface VerificationItem {
  item: 'record' | 'node' | 'allocation';
  id: string;
  instanceId: string;
  claimedHash?: string;
  onChainHash?: string;
  expected?: string;
  onChain?: string;
  match: boolean;
  reason?: string;
}

/** The chain's events of the exchange's own round, as much of them as verification reads. */
export type ChainEvent =
  | { kind: 'ExchangeRecorded'; recordHash: string }
  | { kind: 'NodeAnchored'; nodeKey: string; contentHash: string }
  | { kind: 'Allocated' | 'Revoked'; payer: string; recipient: string; amount: bigint }
  | { kind: 'Released' | 'Deposited' | 'Withdrawn' };

/** The record hash the worker anchors: activities/points.ts allocatePoints. */
export function recordHashOf(claim: Pick<ExchangeClaim, 'exchangeId' | 'report' | 'nodeIds' | 'lines'>): string {
  return hashRecord({ subjectId: claim.exchangeId, report: claim.report, nodeIds: claim.nodeIds, lines: claim.lines });
}

export interface VerifyInput {
  claim: ExchangeClaim;
  events: readonly ChainEvent[];
  /** The chain key of a node id (bytes32, chain/ids.ts). */
  keyOf: (nodeId: string) => string;
  /** A participant's wallet as the verifier knows it; the claim's own list fills the gaps. */
  walletOf: (participantId: string) => string | undefined;
}

export function verifyExchange(input: VerifyInput): VerificationItem[] {
  return [...recordItems(input), ...nodeItems(input), ...allocationItems(input)];
}

function recordItems({ claim, events }: VerifyInput): VerificationItem[] {
  const recorded = events.flatMap((e) => (e.kind === 'ExchangeRecorded' ? [e.recordHash] : []));
  const base = { item: 'record' as const, id: claim.exchangeId, instanceId: claim.instanceId };
  if (claim.lines === null) return [{ ...base, match: false, reason: recorded.length > 0 ? `${claim.instanceId} claims nothing was allocated, but the chain holds a record` : 'nothing allocated yet: nothing on chain to verify' }];
  const claimedHash = recordHashOf(claim);
  if (recorded.length === 0) return [{ ...base, claimedHash, match: false, reason: 'no record of this exchange on chain' }];
  const onChainHash = recorded[0]!;
  return [{ ...base, claimedHash, onChainHash, match: claimedHash === onChainHash, ...(claimedHash === onChainHash ? {} : { reason: `the record hash recomputed from ${claim.instanceId}'s claim differs from the chain` }) }];
}

/*
 * Only the running instance's nodes are compared: it created them from the report and anchored
 * them. Another member's copy of the same node came from a prevRoot update (a placeholder, its own
 * dvctId) or from another exchange's report, so its hash differs by design, not by tampering.
 */
function nodeItems({ claim, events, keyOf }: VerifyInput): VerificationItem[] {
  const anchored = new Map(events.flatMap((e) => (e.kind === 'NodeAnchored' ? [[e.nodeKey.toLowerCase(), e.contentHash] as const] : [])));
  const compare = (instanceId: string, node: ClaimedNode): VerificationItem => {
    const claimedHash = hashRecord(node.content);
    const onChainHash = anchored.get(keyOf(node.nodeId).toLowerCase());
    if (onChainHash === undefined) return { item: 'node', id: node.nodeId, instanceId, claimedHash, match: false, reason: 'not anchored on chain for this exchange' };
    const match = claimedHash === onChainHash;
    return { item: 'node', id: node.nodeId, instanceId, claimedHash, onChainHash, match, ...(match ? {} : { reason: `the node's hash recomputed from ${instanceId}'s claim differs from the one anchored` }) };
  };
  const claimedKeys = new Set(claim.nodes.map((n) => keyOf(n.nodeId).toLowerCase()));
  return [
    ...claim.nodes.map((n) => compare(claim.instanceId, n)),
    ...[...anchored.keys()]
      .filter((key) => !claimedKeys.has(key))
      .map((key) => ({ item: 'node' as const, id: key, instanceId: claim.instanceId, onChainHash: anchored.get(key)!, match: false, reason: `anchored on chain for this exchange, missing from ${claim.instanceId}'s claim` })),
  ];
}

function allocationItems({ claim, events, walletOf }: VerifyInput): VerificationItem[] {
  const wallet = (id: string) => (walletOf(id) ?? claim.wallets[id])?.toLowerCase();
  const revoked = new Set(claim.revoked.map((r) => `${r.payerId}>${r.recipientId}`));
  // Per (payer, recipient): what the claim makes held on chain (a revoked line: nothing), by wallet pair.
  const expected = new Map<string, { id: string; units: bigint }>();
  const unknown: VerificationItem[] = [];
  for (const l of claim.lines ?? []) {
    const id = `${l.payerId}>${l.recipientId}`;
    const [payer, recipient] = [wallet(l.payerId), wallet(l.recipientId)];
    if (!payer || !recipient) {
      unknown.push({ item: 'allocation', id, instanceId: claim.instanceId, expected: l.amount, match: false, reason: `no wallet known for ${!payer ? l.payerId : l.recipientId}` });
      continue;
    }
    const key = `${payer}>${recipient}`;
    const entry = expected.get(key) ?? { id, units: 0n };
    entry.units += revoked.has(id) ? 0n : BigInt(l.amount);
    expected.set(key, entry);
  }
  const onChain = new Map<string, bigint>();
  for (const e of events) {
    if (e.kind !== 'Allocated' && e.kind !== 'Revoked') continue;
    const key = `${e.payer.toLowerCase()}>${e.recipient.toLowerCase()}`;
    onChain.set(key, (onChain.get(key) ?? 0n) + (e.kind === 'Allocated' ? e.amount : -e.amount));
  }
  const items = [...new Set([...expected.keys(), ...onChain.keys()])].map((key): VerificationItem => {
    const want = expected.get(key)?.units ?? 0n;
    const held = onChain.get(key) ?? 0n;
    const match = want === held;
    return {
      item: 'allocation',
      id: expected.get(key)?.id ?? key,
      instanceId: claim.instanceId,
      expected: want.toString(),
      onChain: held.toString(),
      match,
      ...(match ? {} : { reason: expected.has(key) ? `the chain holds ${held}, ${claim.instanceId}'s lines make ${want} due` : `allocated on chain, in none of ${claim.instanceId}'s lines` }),
    };
  });
  return [...items, ...unknown];
}
