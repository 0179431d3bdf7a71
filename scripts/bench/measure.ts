import { readFileSync } from 'node:fs';

/** Small measuring helpers shared by the benchmark scripts. */

/** The q-quantile (0..1) of `sorted` by the nearest-rank method. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!;
}

/** Peak resident memory of a live process so far, in MiB (Linux: VmHWM of /proc/<pid>/status). */
export function peakRssMiB(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no VmHWM line`);
  return Number(match[1]) / 1024;
}

/** Linux's USER_HZ: /proc reports CPU times in these ticks. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a live process has used so far (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds each named process used between construction and `read()`. */
export class CpuMeter {
  private readonly start: Map<string, number>;

  constructor(private readonly pids: Record<string, number>) {
    this.start = new Map(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  }

  read(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.pids).map(([name, pid]) => [name, cpuSeconds(pid) - this.start.get(name)!]));
  }
}

/**
 * Runs `job(0..count-1)` with at most `concurrency` at a time; answers each job's duration in ms
 * and the wall time of the whole batch.
 */
export async function runBounded(count: number, concurrency: number, job: (index: number) => Promise<void>): Promise<{ latenciesMs: number[]; wallMs: number }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let index = next++; index < count; index = next++) {
        const t = performance.now();
        await job(index);
        latenciesMs.push(performance.now() - t);
      }
    }),
  );
  return { latenciesMs: latenciesMs.sort((a, b) => a - b), wallMs: performance.now() - started };
}
