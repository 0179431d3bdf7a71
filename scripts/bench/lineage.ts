import { parseArgs } from 'node:util';
import { Node, NodeLink } from '../../db/entities';
import { migrateToLatest, openOrm } from '../../db/orm';
import { createScratchDatabase } from '../../db/scratch-database';
import { createStore } from '../../db/store';

/**
 * `npm run bench:lineage [-- --nodes 100000 --runs 200]` — lineage query speed on a synthetic but
 * realistic value chain: every node is made from one to three recent ones (fan-in), and many
 * later nodes use each one (fan-out). Prints p50/p99 for backward depth 3 (the API's default),
 * backward depth 20, and forward full depth. SQLite by default; PostgreSQL when DATABASE_URL
 * names a server (a scratch database is created there and dropped afterwards).
 */
const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '100000' }, runs: { type: 'string', default: '200' } },
});
const NODES = Number(values.nodes);
const RUNS = Number(values.runs);
const BATCH = 1_000;
const id = (i: number) => `bench-${i}`;

/** Deterministic, so every run measures the same graph. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

async function main(): Promise<void> {
  const scratch = await createScratchDatabase({ label: 'bench', postgresServerUrl: process.env.DATABASE_URL });
  const orm = await openOrm(scratch.config);
  try {
    await migrateToLatest(orm);
    const started = performance.now();
    const next = random(42);
    const now = new Date();
    let edges = 0;
    for (let start = 0; start < NODES; start += BATCH) {
      const em = orm.em.fork();
      const nodes = [];
      const links = [];
      for (let i = start; i < Math.min(start + BATCH, NODES); i++) {
        nodes.push({ nodeId: id(i), dataId: `data:${id(i)}`, kind: 'chain-data' as const, ownerId: `org-${i % 500}`, placeholder: false, createdByExchangeId: `ex-${i}`, createdAt: now, updatedAt: now });
        const parents = new Set<number>();
        for (let k = 0, n = 1 + Math.floor(next() * 3); k < n && i > 0; k++) parents.add(i - 1 - Math.floor(next() * Math.min(i, 30)));
        for (const p of parents) links.push({ parentNodeId: id(p), childNodeId: id(i), exchangeId: `ex-${i}`, usecaseContractId: 'uc', contractId: 'c', createdAt: now });
      }
      edges += links.length;
      await em.insertMany(Node, nodes);
      await em.insertMany(NodeLink, links);
    }
    // Statistics, as a database in service has them.
    await orm.em.fork().getConnection().execute('analyze');
    const store = createStore(orm);
    console.log(`${scratch.config.kind}: ${NODES} nodes, ${edges} edges, built in ${((performance.now() - started) / 1000).toFixed(1)} s; ${RUNS} queries each`);

    const cases = [
      { name: 'backward depth 3', direction: 'backward' as const, depth: 3, start: (i: number) => NODES - 1 - ((i * 997) % NODES) },
      { name: 'backward depth 20', direction: 'backward' as const, depth: 20, start: (i: number) => NODES - 1 - ((i * 997) % NODES) },
      // Forward from a node near the end: the full downstream of a recent dataset (unbounded).
      { name: 'forward full depth', direction: 'forward' as const, depth: null, start: (i: number) => NODES - 1 - ((i * 7) % 200) },
    ];
    for (const c of cases) {
      const times: number[] = [];
      let size = 0;
      for (let i = -5; i < RUNS; i++) {
        const t = performance.now();
        const result = await store.lineage(id(c.start(i + 5)), { direction: c.direction, depth: c.depth });
        if (i >= 0) times.push(performance.now() - t); // the first five warm caches and the JIT
        size += result.nodes.length;
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(times.length * q) - 1)]!.toFixed(1);
      console.log(`  ${c.name.padEnd(20)} p50 ${at(0.5).padStart(6)} ms   p99 ${at(0.99).padStart(6)} ms   (avg ${Math.round(size / (RUNS + 5))} nodes per answer)`);
    }
  } finally {
    await orm.close();
    await scratch.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
