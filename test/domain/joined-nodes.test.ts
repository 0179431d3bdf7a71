import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodesJoinedTo } from '../../domain/joined-nodes';

describe('nodesJoinedTo', () => {
  it('follows links in both directions, and nothing else', () => {
    const links = [['a', 'b'], ['c', 'b'], ['d', 'e']] as const;
    expect([...nodesJoinedTo('a', links)].sort()).toEqual(['a', 'b', 'c']);
    expect([...nodesJoinedTo('e', links)].sort()).toEqual(['d', 'e']);
    expect([...nodesJoinedTo('z', links)]).toEqual(['z']);
  });

  it('is the connected component: joined nodes are closed under links, and links order does not matter', () => {
    const node = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    fc.assert(
      fc.property(fc.array(fc.tuple(node, node), { maxLength: 12 }), node, (links, start) => {
        const joined = nodesJoinedTo(start, links);
        for (const [x, y] of links) expect(joined.has(x)).toBe(joined.has(y));
        expect(nodesJoinedTo(start, [...links].reverse())).toEqual(joined);
        // Every joined node reaches back to the start.
        for (const n of joined) expect(nodesJoinedTo(n, links).has(start)).toBe(true);
      }),
    );
  });
});
