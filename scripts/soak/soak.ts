import { parseArgs } from 'node:util';
import { startEmbeddedDvct, type EmbeddedDvct, type Service } from '../bench/embedded-dvct';
import { postExchange, setUpMembers, type Members } from '../bench/members';
import { ApiError } from '../client/dvct-client';
import { auditSoak, type AcceptedExchange } from './audit';

/**
 * `npm run soak [-- --exchanges 200 --kills 10 --target worker|chain|api|all]` — crash safety.
 * Reports exchanges through the API of an embedded DVCT while killing the worker, the chain node
 * or the API with SIGKILL at random moments and starting them again on the same state; then
 * audits Temporal, the database and the chain against each other. Exits 1 on any discrepancy.
 */
const { values } = parseArgs({
  options: {
    exchanges: { type: 'string', default: '200' },
    kills: { type: 'string', default: '10' },
    target: { type: 'string', default: 'worker' },
    seed: { type: 'string' },
  },
});
const EXCHANGES = Number(values.exchanges);
const KILLS = Number(values.kills);
const TARGETS: Record<string, Service[]> = { worker: ['worker'], chain: ['chain'], api: ['api'], all: ['worker', 'chain', 'api'] };
const targets = TARGETS[values.target];
if (!targets || !(EXCHANGES > 0) || !(KILLS >= 0)) {
  console.error('usage: npm run soak -- [--exchanges N] [--kills N] [--target worker|chain|api|all] [--seed N]');
  process.exit(2);
}
/** Every run must settle within this after the last kill; a run still open then is a discrepancy. */
const SETTLE_TIMEOUT_MS = 5 * 60_000;
/** Roughly how long apart kills are; submissions are spread over the same span. */
const KILL_SPACING_MS = 4_000;

const say = (message: string) => console.log(`[soak] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seeded, so a failing soak can be run again with the same kill moments (`--seed`). */
const seed = Number(values.seed ?? Date.now() % 1_000_000);
let state = seed;
const random = () => {
  state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
  return state / 2_147_483_648;
};

/** Posts until the API accepts it: a refusal is final, an outage (killed API or chain) is waited out. */
async function submit(dvct: EmbeddedDvct, members: Members, index: number): Promise<AcceptedExchange> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await postExchange(dvct, members, index);
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) throw err;
      if (attempt >= 120) throw new Error(`exchange ${index} was never accepted: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

async function killAtRandom(dvct: EmbeddedDvct): Promise<number> {
  let kills = 0;
  while (kills < KILLS) {
    await sleep(KILL_SPACING_MS * (0.5 + random()));
    const target = targets![Math.floor(random() * targets!.length)]!;
    const pid = dvct.pidOf(target);
    await dvct.kill(target);
    kills += 1;
    say(`kill ${kills}/${KILLS}: ${target} (pid ${pid}) SIGKILL`);
    await sleep(200 + random() * 2_000);
    await dvct.restart(target);
    say(`  ${target} restarted (pid ${dvct.pidOf(target)})`);
  }
  return kills;
}

async function main(): Promise<void> {
  say(`seed ${seed}: ${EXCHANGES} exchanges, ${KILLS} kills of ${targets!.join('/')}`);
  const dvct = await startEmbeddedDvct({ label: 'soak', say });
  let members: Members | undefined;
  try {
    members = await setUpMembers(dvct, { exchanges: EXCHANGES, pointsPerExchange: 3, verificationWindowSeconds: 1 });
    // anvil writes its state file every second: let the set-up reach it before the first kill.
    await sleep(2_500);
    say(`DVCT up in ${dvct.dataDir}; submitting`);

    const spacing = Math.max(20, (KILLS * KILL_SPACING_MS) / EXCHANGES);
    const killing = killAtRandom(dvct);
    const accepted: AcceptedExchange[] = [];
    for (let i = 0; i < EXCHANGES; i++) {
      accepted.push(await submit(dvct, members, i));
      await sleep(spacing * random() * 2);
    }
    say(`${accepted.length} exchanges accepted`);
    const kills = await killing;

    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    say('waiting for every run to settle');
    await Promise.all(
      accepted.map(async ({ workflowId }) => {
        const handle = members!.temporal.workflow.getHandle(workflowId);
        while (Date.now() < deadline) {
          const { status } = await handle.describe();
          if (status.name !== 'RUNNING') return;
          await sleep(1_000);
        }
      }),
    );

    const discrepancies = await auditSoak(dvct, members, accepted);
    for (const d of discrepancies) say(`DISCREPANCY ${d}`);
    console.log(`kills: ${kills}, exchanges: ${accepted.length}, discrepancies: ${discrepancies.length}`);
    process.exitCode = discrepancies.length > 0 ? 1 : 0;
  } finally {
    await members?.close();
    await dvct.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`soak failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
