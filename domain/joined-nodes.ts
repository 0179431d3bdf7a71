/**
 * The nodes joined to `startId` by the given links, followed in either direction: what a lineage
 * answer keeps once links the reader may not see are dropped (a node reached only through a hidden
 * link is not shown either). Pure; links are [one end, other end].
 */
export function nodesJoinedTo(startId: string, links: readonly (readonly [string, string])[]): Set<string> {
  const joined = new Set([startId]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [a, b] of links) {
      if (joined.has(a) !== joined.has(b)) {
        joined.add(a);
        joined.add(b);
        grew = true;
      }
    }
  }
  return joined;
}
