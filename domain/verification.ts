import { z } from 'zod';
import { hashRecord } from '../lib/record-hash';
import { nodeContent } from './node-content';

/**
 * Independent verification of an exchange: what the instance that ran it claims (exactly the
 * inputs it hashed when it anchored the exchange) against what the chain holds. Pure: the caller
 * reads the chain and fetches the claim; this says, item by item, what matches.
 */

const line = z.looseObject({ payerId: z.string(), recipientId: z.string(), amount: z.string().regex(/^\d+$/) });
const pair = z.object({ payerId: z.string(), recipientId: z.string() });

/**
 * An incident's correction round as the running instance allocated it: anchored on chain as its
 * own subject `<exchangeId>/<incidentId>` (domain/workflow-ids.ts chainSubjectOf), with the
 * record hash over the exchange, the incident, its decision and the lines (activities/incidents.ts).
 */
export const roundClaimSchema = z
  .object({
    incidentId: z.string(),
    decision: z.record(z.string(), z.unknown()).nullable().describe('The incident\'s decision as stored: one input of the round\'s record hash'),
    lines: z.array(line).describe('The lines the correction allocated, in the order hashed'),
    revoked: z.array(pair).describe('Lines of this round revoked since'),
  })
  .strict();

export type RoundClaim = z.infer<typeof roundClaimSchema>;

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
    revoked: z.array(pair).describe('Lines of the exchange\'s own round revoked since'),
    rounds: z.array(roundClaimSchema).describe('Every correction round an incident allocated, by incident id'),
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
  /** The chain subject checked: the exchange id for its own round, `<exchangeId>/<incidentId>` for a correction. */
  subject: string;
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

/** A correction round's record hash, as activities/incidents.ts redistributeIncident anchors it. */
export function roundRecordHashOf(exchangeId: string, round: Pick<RoundClaim, 'incidentId' | 'decision' | 'lines'>): string {
  return hashRecord({ exchangeId, incidentId: round.incidentId, decision: round.decision, lines: round.lines });
}

/** What the verifying instance holds of an anchored node: a reference copy, or the node itself when it is its home. */
export interface NodeCopy {
  nodeId: string;
  dataId: string;
  ownerId: string | null;
  /** Known only as a prevDataId here: it names no owner to compare. */
  placeholder: boolean;
}

export interface VerifyInput {
  claim: ExchangeClaim;
  /** The chain's events of the exchange's own subject. */
  events: readonly ChainEvent[];
  /** The chain's events of each correction round's subject, by incident id; a round without is read as nothing on chain. */
  roundEvents?: ReadonlyMap<string, readonly ChainEvent[]>;
  /** The chain key of a node id (bytes32, chain/ids.ts). */
  keyOf: (nodeId: string) => string;
  /** A participant's wallet as the verifier knows it; the claim's own list fills the gaps. */
  walletOf: (participantId: string) => string | undefined;
  /** The verifying instance's own copies of the anchored nodes, when another instance ran the exchange. */
  own?: { instanceId: string; nodes: readonly NodeCopy[] };
}

export function verifyExchange(input: VerifyInput): VerificationItem[] {
  const { claim } = input;
  const own = input.own && input.own.instanceId !== claim.instanceId ? input.own : undefined;
  return [
    ...recordItems(input),
    ...nodeItems(input),
    ...(own ? copyItems(input, own) : []),
    ...allocationItems(claim.exchangeId, claim, claim.lines ?? [], claim.revoked, input.events, input.walletOf),
    ...claim.rounds.flatMap((round) => roundItems(input, round)),
  ];
}

function compareRecord(base: Omit<VerificationItem, 'match'>, claimedHash: string, events: readonly ChainEvent[], claimant: string): VerificationItem {
  const recorded = events.flatMap((e) => (e.kind === 'ExchangeRecorded' ? [e.recordHash] : []));
  if (recorded.length === 0) return { ...base, claimedHash, match: false, reason: `no record of ${base.subject} on chain` };
  const onChainHash = recorded[0]!;
  const match = claimedHash === onChainHash;
  return { ...base, claimedHash, onChainHash, match, ...(match ? {} : { reason: `the record hash recomputed from ${claimant}'s claim differs from the chain` }) };
}

function recordItems({ claim, events }: VerifyInput): VerificationItem[] {
  const base = { item: 'record' as const, id: claim.exchangeId, subject: claim.exchangeId, instanceId: claim.instanceId };
  if (claim.lines === null) {
    const recorded = events.some((e) => e.kind === 'ExchangeRecorded');
    return [{ ...base, match: false, reason: recorded ? `${claim.instanceId} claims nothing was allocated, but the chain holds a record` : 'nothing allocated yet: nothing on chain to verify' }];
  }
  return [compareRecord(base, recordHashOf(claim), events, claim.instanceId)];
}

/** A correction round: its own record and its own allocations, under its own chain subject. */
function roundItems({ claim, roundEvents, walletOf }: VerifyInput, round: RoundClaim): VerificationItem[] {
  const subject = `${claim.exchangeId}/${round.incidentId}`;
  const events = roundEvents?.get(round.incidentId) ?? [];
  const record = compareRecord({ item: 'record', id: subject, subject, instanceId: claim.instanceId }, roundRecordHashOf(claim.exchangeId, round), events, claim.instanceId);
  return [record, ...allocationItems(subject, claim, round.lines, round.revoked, events, walletOf)];
}

/*
 * Only the running instance's nodes are compared: it created them from the report and anchored
 * them. Another member's copy of the same node came from a prevRoot update (a placeholder, its own
 * dvctId) or from another exchange's report, so its hash differs by design, not by tampering.
 */
function anchoredNodes(events: readonly ChainEvent[]): Map<string, string> {
  return new Map(events.flatMap((e) => (e.kind === 'NodeAnchored' ? [[e.nodeKey.toLowerCase(), e.contentHash] as const] : [])));
}

function nodeItems({ claim, events, keyOf }: VerifyInput): VerificationItem[] {
  const anchored = anchoredNodes(events);
  const subject = claim.exchangeId;
  const compare = (instanceId: string, node: ClaimedNode): VerificationItem => {
    const claimedHash = hashRecord(node.content);
    const onChainHash = anchored.get(keyOf(node.nodeId).toLowerCase());
    if (onChainHash === undefined) return { item: 'node', id: node.nodeId, subject, instanceId, claimedHash, match: false, reason: 'not anchored on chain for this exchange' };
    const match = claimedHash === onChainHash;
    return { item: 'node', id: node.nodeId, subject, instanceId, claimedHash, onChainHash, match, ...(match ? {} : { reason: `the node's hash recomputed from ${instanceId}'s claim differs from the one anchored` }) };
  };
  const claimedKeys = new Set(claim.nodes.map((n) => keyOf(n.nodeId).toLowerCase()));
  return [
    ...claim.nodes.map((n) => compare(claim.instanceId, n)),
    ...[...anchored.keys()]
      .filter((key) => !claimedKeys.has(key))
      .map((key) => ({ item: 'node' as const, id: key, subject, instanceId: claim.instanceId, onChainHash: anchored.get(key)!, match: false, reason: `anchored on chain for this exchange, missing from ${claim.instanceId}'s claim` })),
  ];
}

/*
 * The verifying instance's own copies of the anchored nodes. A copy's metadata comes from the
 * update or the report that taught this instance the node, so its hash differs from the anchored
 * one by design; what must agree everywhere is which data the node is and whose. That is checked
 * against the anchored content — known only where the running instance's claim hashes to what the
 * chain holds.
 */
function copyItems({ claim, events, keyOf }: VerifyInput, own: NonNullable<VerifyInput['own']>): VerificationItem[] {
  const anchored = anchoredNodes(events);
  const copies = new Map(own.nodes.map((n) => [n.nodeId, n]));
  return claim.nodes.flatMap((node): VerificationItem[] => {
    const copy = copies.get(node.nodeId);
    if (!copy) return [];
    const base = { item: 'node' as const, id: node.nodeId, subject: claim.exchangeId, instanceId: own.instanceId };
    const onChainHash = anchored.get(keyOf(node.nodeId).toLowerCase());
    if (onChainHash === undefined || hashRecord(node.content) !== onChainHash) {
      return [{ ...base, ...(onChainHash ? { onChainHash } : {}), match: false, reason: `not compared: the content anchored for it is not known (${claim.instanceId}'s claim does not hash to the chain's)` }];
    }
    const differs = [
      ...(copy.dataId !== node.content.dataId ? [`dataId ${copy.dataId}, anchored ${String(node.content.dataId)}`] : []),
      ...(!copy.placeholder && copy.ownerId !== node.content.ownerId ? [`owner ${copy.ownerId ?? 'none'}, anchored ${String(node.content.ownerId ?? 'none')}`] : []),
    ];
    const match = differs.length === 0;
    return [{ ...base, onChainHash, match, ...(match ? {} : { reason: `${own.instanceId}'s copy of the node differs from the one anchored: ${differs.join('; ')}` }) }];
  });
}

function allocationItems(
  subject: string,
  claim: ExchangeClaim,
  lines: readonly z.infer<typeof line>[],
  revokedLines: readonly z.infer<typeof pair>[],
  events: readonly ChainEvent[],
  walletOf: VerifyInput['walletOf'],
): VerificationItem[] {
  const wallet = (id: string) => (walletOf(id) ?? claim.wallets[id])?.toLowerCase();
  const revoked = new Set(revokedLines.map((r) => `${r.payerId}>${r.recipientId}`));
  // Per (payer, recipient): what the claim makes held on chain (a revoked line: nothing), by wallet pair.
  const expected = new Map<string, { id: string; units: bigint }>();
  const unknown: VerificationItem[] = [];
  for (const l of lines) {
    const id = `${l.payerId}>${l.recipientId}`;
    const [payer, recipient] = [wallet(l.payerId), wallet(l.recipientId)];
    if (!payer || !recipient) {
      unknown.push({ item: 'allocation', id, subject, instanceId: claim.instanceId, expected: l.amount, match: false, reason: `no wallet known for ${!payer ? l.payerId : l.recipientId}` });
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
      subject,
      instanceId: claim.instanceId,
      expected: want.toString(),
      onChain: held.toString(),
      match,
      ...(match ? {} : { reason: expected.has(key) ? `the chain holds ${held}, ${claim.instanceId}'s lines make ${want} due` : `allocated on chain, in none of ${claim.instanceId}'s lines` }),
    };
  });
  return [...items, ...unknown];
}
