import { continueAsNew, setCurrentDetails } from '@temporalio/workflow';
import { act } from './activities';

/**
 * The prevRoot update loop (design document, "chain-data update request"): every parent of the
 * consumed data learns of its new child, and every ancestor above it learns of the new
 * descendant, level by level up to the roots. One activity per hop, so each hop shows in the run.
 * Cycle-safe (an ancestor is visited once), depth-bounded, and it continues as new before its
 * history grows large, carrying the frontier along.
 */
export interface PrevRootInput {
  exchangeId: string;
  childNodeId: string;
  prevDataIds: string[];
  maxDepth: number;
  /** Set only by continue-as-new. */
  carry?: { frontier: PendingHop[]; visited: string[]; hops: number; truncated: boolean };
}

export interface PrevRootResult {
  hops: number;
  /** True when ancestors beyond maxDepth were left unvisited. */
  truncated: boolean;
}

interface PendingHop {
  childNodeId: string;
  /** Level 1 names parents by the reported prevDataId; above that they are known nodes. */
  parentDataId?: string;
  parentNodeId?: string;
  depth: number;
}

const HOPS_PER_RUN = 500;
const HOPS_IN_FLIGHT = 50;

export async function prevRootUpdateWorkflow(input: PrevRootInput): Promise<PrevRootResult> {
  let frontier: PendingHop[] =
    input.carry?.frontier ?? input.prevDataIds.map((parentDataId) => ({ childNodeId: input.childNodeId, parentDataId, depth: 1 }));
  const visited = new Set(input.carry?.visited ?? [input.childNodeId]);
  let hops = input.carry?.hops ?? 0;
  let truncated = input.carry?.truncated ?? false;
  let hopsThisRun = 0;

  while (frontier.length > 0) {
    if (hopsThisRun >= HOPS_PER_RUN) {
      await continueAsNew<typeof prevRootUpdateWorkflow>({ ...input, carry: { frontier, visited: [...visited], hops, truncated } });
    }
    const batch = frontier.slice(0, HOPS_IN_FLIGHT);
    frontier = frontier.slice(batch.length);
    setCurrentDetails(`**prevRoot updates** — ${hops} hop(s) done, ${batch.length + frontier.length} pending, deepest level ${batch.at(-1)?.depth ?? 0}`);

    const results = await Promise.all(
      batch.map((hop) =>
        act.applyPrevRootUpdate.executeWithOptions(
          { summary: `hop ${hop.depth}: ${hop.parentNodeId ?? hop.parentDataId} ← ${hop.childNodeId}` },
          [{ exchangeId: input.exchangeId, childNodeId: hop.childNodeId, parentDataId: hop.parentDataId, parentNodeId: hop.parentNodeId, depth: hop.depth }],
        ),
      ),
    );
    hops += batch.length;
    hopsThisRun += batch.length;

    results.forEach((result, i) => {
      const depth = batch[i]!.depth;
      visited.add(result.parentNodeId);
      for (const ancestor of result.parentIds) {
        if (visited.has(ancestor)) continue; // a cycle, or a diamond already covered
        if (depth + 1 > input.maxDepth) {
          truncated = true;
          continue;
        }
        visited.add(ancestor);
        frontier.push({ childNodeId: result.parentNodeId, parentNodeId: ancestor, depth: depth + 1 });
      }
    });
  }
  setCurrentDetails(`**prevRoot updates** — done, ${hops} hop(s)${truncated ? `, stopped at depth ${input.maxDepth}` : ''}`);
  return { hops, truncated };
}
