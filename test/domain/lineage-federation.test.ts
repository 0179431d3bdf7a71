import { describe, expect, it } from 'vitest';
import { combineWalks, keepLinks, mergeWalk, nextPeerCalls, walkAcrossInstances, type FederatedEdge, type FederatedGraph, type FederatedNode, type PeerAnswer, type PeerCall } from '../../domain/lineage-federation';

const node = (nodeId: string, instanceId: string, over: Partial<FederatedNode> = {}): FederatedNode => ({
  nodeId,
  dataId: `data-${nodeId}`,
  kind: 'raw-data',
  ownerId: null,
  placeholder: false,
  '@nodeUrl': `http://${instanceId}/v1/nodes/${nodeId}`,
  instanceId,
  ...over,
});
const edge = (from: string, to: string): FederatedEdge => ({ from, to, exchangeId: `x-${from}-${to}`, contractId: 'dc', usecaseContractId: 'uc', points: null, pointsUnits: null });
const graph = (nodes: FederatedNode[], edges: FederatedEdge[], truncated = false): FederatedGraph => ({ nodes, edges, truncated });

/*
 * The shared picture: `out` (here, on A) ← `mid` (homed on B) ← `raw` (homed on C) ← `seed` (on C).
 * A knows out and a reference copy of mid; B knows mid and a reference copy of raw; C knows raw and seed.
 */
const homes: Record<string, FederatedGraph> = {
  'B/mid': graph([node('mid', 'B', { ownerId: 'org-b' }), node('raw', 'C')], [edge('raw', 'mid')]),
  'C/raw': graph([node('raw', 'C', { ownerId: 'org-c' }), node('seed', 'C')], [edge('seed', 'raw')]),
};
const local = graph([node('out', 'A'), node('mid', 'B', { placeholder: true })], [edge('mid', 'out')]);

function peers(down: string[] = []) {
  const calls: PeerCall[] = [];
  const ask = async (call: PeerCall): Promise<PeerAnswer> => {
    calls.push(call);
    if (down.includes(call.instanceId)) return { ok: false, reason: `${call.instanceId} did not answer` };
    return { ok: true, graph: homes[`${call.instanceId}/${call.nodeId}`]! };
  };
  return { calls, ask };
}

describe('lineage across instances', () => {
  it('follows each node to its home with the depth that remains there, and merges what comes back once', async () => {
    const { calls, ask } = peers();
    const { graph: g, unreachable } = await walkAcrossInstances(local, { self: 'A', startId: 'out', direction: 'backward', depth: 3 }, ask);
    expect(calls).toEqual([
      { nodeId: 'mid', instanceId: 'B', depth: 2 },
      { nodeId: 'raw', instanceId: 'C', depth: 1 },
    ]);
    expect(g.nodes.map((n) => n.nodeId)).toEqual(['out', 'mid', 'raw', 'seed']);
    expect(g.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['mid>out', 'raw>mid', 'seed>raw']);
    // The home's description replaces the reference copy.
    expect(g.nodes.find((n) => n.nodeId === 'mid')).toMatchObject({ ownerId: 'org-b', placeholder: false });
    expect(unreachable).toEqual([]);
  });

  it('asks no peer once the depth is used up here', async () => {
    const { calls, ask } = peers();
    await walkAcrossInstances(local, { self: 'A', startId: 'out', direction: 'backward', depth: 1 }, ask);
    expect(calls).toEqual([]);
  });

  it('an unbounded walk passes no depth on', () => {
    expect(nextPeerCalls(local, { self: 'A', startId: 'out', direction: 'backward', depth: null, asked: new Set() })).toEqual([{ nodeId: 'mid', instanceId: 'B', depth: null }]);
  });

  it('marks a home that cannot be asked, and keeps what it has', async () => {
    const { calls, ask } = peers(['B']);
    const { graph: g, unreachable } = await walkAcrossInstances(local, { self: 'A', startId: 'out', direction: 'backward', depth: 3 }, ask);
    expect(calls).toHaveLength(1);
    expect(g).toEqual(local);
    expect(unreachable).toEqual([{ nodeId: 'mid', instanceId: 'B', '@nodeUrl': 'http://B/v1/nodes/mid', reason: 'B did not answer' }]);
  });

  it('stops asking at the cap and says so for every door left shut', async () => {
    const { calls, ask } = peers();
    const { unreachable } = await walkAcrossInstances(local, { self: 'A', startId: 'out', direction: 'backward', depth: 3, maxPeerCalls: 1 }, ask);
    expect(calls).toHaveLength(1);
    expect(unreachable).toEqual([{ nodeId: 'raw', instanceId: 'C', '@nodeUrl': 'http://C/v1/nodes/raw', reason: 'this query reached its limit of 1 peer calls' }]);
  });

  it('asks a home once even when its answer names the node again (cycles across instances)', async () => {
    const loop = graph([node('mid', 'B'), node('out', 'A')], [edge('out', 'mid')]);
    const calls: PeerCall[] = [];
    const { graph: g } = await walkAcrossInstances(local, { self: 'A', startId: 'out', direction: 'backward', depth: 10 }, async (call) => {
      calls.push(call);
      return { ok: true, graph: loop };
    });
    expect(calls).toHaveLength(1);
    expect(g.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['mid>out', 'out>mid']);
  });

  it('merges links by (from, to) and keeps a node\'s first description unless its home answers', () => {
    const merged = mergeWalk(local, 'C', graph([node('mid', 'B', { ownerId: 'elsewhere' })], [edge('mid', 'out')], true));
    expect(merged.nodes.find((n) => n.nodeId === 'mid')!.placeholder).toBe(true);
    expect(merged.edges).toHaveLength(1);
    expect(merged.truncated).toBe(true);
  });

  it('combines the two directions with each node and each unreachable home once', () => {
    const u = { nodeId: 'mid', instanceId: 'B', '@nodeUrl': 'u', reason: 'r' };
    const both = combineWalks([
      { graph: local, unreachable: [u] },
      { graph: graph([node('out', 'A'), node('next', 'A')], [edge('out', 'next')]), unreachable: [u] },
    ]);
    expect(both.graph.nodes.map((n) => n.nodeId)).toEqual(['out', 'mid', 'next']);
    expect(both.unreachable).toEqual([u]);
  });

  it('keeps of a peer\'s answer only the links a key may read and what they still join to the node asked about', () => {
    const answer = graph([node('mid', 'B'), node('raw', 'C'), node('seed', 'C'), node('side', 'B')], [edge('raw', 'mid'), edge('seed', 'raw'), edge('side', 'mid')], true);
    const kept = keepLinks(answer, 'mid', (e) => e.exchangeId !== 'x-raw-mid');
    // Without raw → mid, raw and seed are cut off from mid (even though seed → raw is readable).
    expect(kept.nodes.map((n) => n.nodeId)).toEqual(['mid', 'side']);
    expect(kept.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['side>mid']);
    expect(kept.truncated).toBe(true);
    expect(keepLinks(answer, 'mid', () => true)).toEqual(answer);
  });
});
