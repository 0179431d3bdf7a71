import { continueAsNew, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { DvctActivities } from '../activities';
import { act } from './activities';
import type { PendingHop, PrevRootInput } from './definitions';

export type { PrevRootInput } from './definitions';

/**
 * The prevRoot update loop (design document, "chain-data update request"): every parent of the
 * consumed data learns of its new child, and every ancestor above it learns of the new
 * descendant, level by level up to the roots. One activity per hop, so each hop shows in the run.
 * Cycle-safe (an ancestor is visited once), depth-bounded, and it continues as new before its
 * history grows large, carrying the frontier along.
 *
 * With several instances, a parent homed on a peer is handed to that peer (a signed request,
 * retried until the peer accepts it) and not climbed here: its home knows its parents. The same
 * workflow is what a peer's request starts on the receiving side (`peer`): the alt block on the
 * receiver's node first, then the same climb.
 */
export interface PrevRootResult {
  hops: number;
  /** True when ancestors beyond maxDepth were left unvisited. */
  truncated: boolean;
}


const HOPS_PER_RUN = 500;
const HOPS_IN_FLIGHT = 50;

export async function prevRootUpdateWorkflow(input: PrevRootInput): Promise<PrevRootResult> {
  // A peer that is down is waited for, however long: nothing is lost, the run shows it pending.
  const toPeer = proxyActivities<DvctActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: `${input.peerRetryMaxIntervalSeconds ?? 30} seconds` },
  });
  const link = input.peer ? { usecaseContractId: input.peer.usecaseContractId, contractId: input.peer.contractId } : undefined;
  const firstDepth = input.peer ? input.peer.depth + 1 : 1;
  let frontier: PendingHop[] =
    input.carry?.frontier ?? input.prevDataIds.map((parentDataId) => ({ childNodeId: input.childNodeId, parentDataId, depth: firstDepth }));
  const visited = new Set(input.carry?.visited ?? [input.childNodeId]);
  let hops = input.carry?.hops ?? 0;
  let truncated = input.carry?.truncated ?? false;
  let hopsThisRun = 0;

  if (!input.carry && input.outputNodeId !== undefined) {
    frontier.unshift({ childNodeId: input.outputNodeId, parentNodeId: input.childNodeId, depth: 0, remote: { prevDataIds: input.prevDataIds } });
  }
  if (!input.carry && input.peer) {
    const peer = input.peer;
    setCurrentDetails(`**prevRoot update from ${peer.origin}** — ${peer.parent.nodeId} ← ${peer.child.nodeId} (exchange ${peer.exchangeId})`);
    const accepted = await act.acceptPeerUpdate.executeWithOptions({ summary: `from ${peer.origin}: ${peer.parent.nodeId} ← ${peer.child.nodeId}` }, [peer]);
    hops += 1;
    // "Exists and has prevRoot": every parent it has here hears of the new descendant too.
    const reported = new Set(peer.prevDataIds);
    for (const ancestor of accepted.parentIds) {
      if (!reported.has(ancestor) && !frontier.some((h) => h.parentNodeId === ancestor)) frontier.push({ childNodeId: peer.parent.nodeId, parentNodeId: ancestor, depth: firstDepth });
    }
  }

  while (frontier.length > 0) {
    if (hopsThisRun >= HOPS_PER_RUN) {
      await continueAsNew<typeof prevRootUpdateWorkflow>({ ...input, carry: { frontier, visited: [...visited], hops, truncated } });
    }
    const batch = frontier.slice(0, HOPS_IN_FLIGHT);
    frontier = frontier.slice(batch.length);
    const waiting = batch.filter((h) => h.remote).map((h) => `\n- ${h.parentNodeId} ← ${h.childNodeId} (to its home instance)`);
    setCurrentDetails(
      `**prevRoot updates** — ${hops} hop(s) done, ${batch.length + frontier.length} pending, deepest level ${batch.at(-1)?.depth ?? 0}` +
        (waiting.length > 0 ? `\n\nHanding to peer instances (retried until each accepts; see the exchange's \`propagation\`):${waiting.join('')}` : ''),
    );

    const results = await Promise.all(
      batch.map(async (hop) => {
        if (hop.remote) {
          await toPeer.sendPrevRootUpdate.executeWithOptions(
            { summary: `to the home of ${hop.parentNodeId}: ← ${hop.childNodeId}` },
            [{ exchangeId: input.exchangeId, parentNodeId: hop.parentNodeId!, childNodeId: hop.childNodeId, prevDataIds: hop.remote.prevDataIds, depth: hop.depth, ...(link ? { link } : {}) }],
          );
          return null;
        }
        return act.applyPrevRootUpdate.executeWithOptions(
          { summary: `hop ${hop.depth}: ${hop.parentNodeId ?? hop.parentDataId} ← ${hop.childNodeId}` },
          [{ exchangeId: input.exchangeId, childNodeId: hop.childNodeId, parentDataId: hop.parentDataId, parentNodeId: hop.parentNodeId, depth: hop.depth, ...(link ? { link } : {}) }],
        );
      }),
    );
    hops += batch.length;
    hopsThisRun += batch.length;

    results.forEach((result, i) => {
      if (!result) return;
      const hop = batch[i]!;
      visited.add(result.parentNodeId);
      if (result.homeInstanceId !== undefined) {
        // Its home climbs on from there; this instance only tells it.
        frontier.push({ childNodeId: hop.childNodeId, parentNodeId: result.parentNodeId, depth: hop.depth, remote: { prevDataIds: [] } });
        return;
      }
      for (const ancestor of result.parentIds) {
        if (visited.has(ancestor)) continue; // a cycle, or a diamond already covered
        if (hop.depth + 1 > input.maxDepth) {
          truncated = true;
          continue;
        }
        visited.add(ancestor);
        frontier.push({ childNodeId: result.parentNodeId, parentNodeId: ancestor, depth: hop.depth + 1 });
      }
    });
  }
  setCurrentDetails(`**prevRoot updates** — done, ${hops} hop(s)${truncated ? `, stopped at depth ${input.maxDepth}` : ''}`);
  return { hops, truncated };
}
