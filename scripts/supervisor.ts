import type { AppProcess } from './services/app-process';

/**
 * Owns the processes `npm start` runs: stops them in reverse start order, each by its own PID, on
 * Ctrl-C / SIGTERM, on a failed start-up, or when one of DVCT's own processes dies.
 */
export interface Supervised {
  name: string;
  pid: number;
  stop(): Promise<void>;
}

/** Thrown by `checkpoint` once a signal arrived during start-up. */
export class Interrupted extends Error {}

export class Supervisor {
  private readonly running: Supervised[] = [];
  private interrupted = false;
  private startedUp = false;
  private shuttingDown: Promise<void> | undefined;

  constructor(private readonly say: (message: string) => void) {
    process.on('SIGINT', (signal) => this.onSignal(signal));
    process.on('SIGTERM', (signal) => this.onSignal(signal));
    // A crash past every handler must not leave detached servers behind holding their ports.
    process.on('exit', () => {
      for (const service of this.running) {
        try {
          process.kill(service.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }

  get hasRunning(): boolean {
    return this.running.length > 0;
  }

  add(service: Supervised): void {
    this.running.push(service);
  }

  /** One of DVCT's own processes: once start-up is over, its death stops everything (exit 1). */
  watch(app: AppProcess): void {
    this.add(app);
    void app.exited.then((how) => {
      if (this.shuttingDown || !this.startedUp) return; // during start-up the health wait reports it
      this.say(`the ${app.name} stopped unexpectedly (${how}); stopping the rest`);
      void this.shutdown(1);
    });
  }

  /** Between start-up steps: a signal received meanwhile ends the start-up here. */
  checkpoint(): void {
    if (this.interrupted) throw new Interrupted();
  }

  markStarted(): void {
    this.startedUp = true;
  }

  /** Stops everything (once, however often it is called) and exits with `exitCode`. */
  shutdown(exitCode: number): Promise<void> {
    this.shuttingDown ??= this.stopAll().then(() => process.exit(exitCode));
    return this.shuttingDown;
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.startedUp) {
      this.say(`${signal}: stopping`);
      void this.shutdown(0);
    } else {
      // The step under way finishes first, so whatever it started is known and gets stopped.
      this.interrupted = true;
      this.say(`${signal}: stopping once the current start-up step ends`);
    }
  }

  private async stopAll(): Promise<void> {
    for (let service = this.running.at(-1); service; service = this.running.at(-1)) {
      this.say(`stopping ${service.name} (pid ${service.pid})`);
      try {
        await service.stop();
      } catch (err) {
        this.say(`could not stop ${service.name}: ${(err as Error).message}`);
      }
      this.running.pop();
    }
  }
}
