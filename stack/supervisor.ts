import type { ManagedChild } from './child-process';

export interface SupervisorOptions {
  /** Starts a fresh child (each restart calls it again). */
  start: () => ManagedChild;
  /** Resolves when the child is ready (polling, listening); rejects when it cannot become so. */
  ready: (child: ManagedChild) => Promise<unknown>;
  /** Where restarts are told (npm start's own output). */
  say: (message: string) => void;
  /** Restarts in a row, each dying before it was up for `stableMs`, before giving up (default 5). */
  maxRestarts?: number;
  /** First wait before a restart, doubled each failure in a row up to `maxBackoffMs` (default 1 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A child up this long has recovered: the next death starts the count again (default 60 s). */
  stableMs?: number;
}

/** A worker or web server that is restarted when it dies, until restarts keep failing. */
export interface SupervisedChild {
  readonly name: string;
  /** The child running now (a new one after each restart). */
  current(): ManagedChild;
  /** How many times it was restarted. */
  restarts(): number;
  /** The first start: rejects when the child cannot become ready (nothing is restarted then). */
  readonly started: Promise<unknown>;
  /** Resolves when restarts kept failing: the message says so, with the last child's output. */
  readonly gaveUp: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Keeps a child of `npm start` running: one that dies (SIGKILL, out of memory, a crash) is restarted
 * after a backoff. Workflows carry on meanwhile: Temporal retries the dead worker's tasks on the new one.
 */
export function superviseChild(options: SupervisorOptions): SupervisedChild {
  const maxRestarts = options.maxRestarts ?? 5;
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const stableMs = options.stableMs ?? 60_000;
  let child = options.start();
  const name = child.name;
  let restarts = 0;
  let failuresInARow = 0;
  let stopping = false;
  let wake: (() => void) | undefined;
  let giveUp!: (message: string) => void;
  const gaveUp = new Promise<string>((resolve) => (giveUp = resolve));

  const describeExit = (dead: ManagedChild, code: number | null) => {
    const signal = dead.process.signalCode;
    return signal ? `was killed by ${signal}` : `exited with code ${code}`;
  };

  const watch = async () => {
    for (;;) {
      const startedAt = Date.now();
      const code = await child.exited;
      if (stopping) return;
      failuresInARow = Date.now() - startedAt >= stableMs ? 1 : failuresInARow + 1;
      const how = describeExit(child, code);
      if (failuresInARow > maxRestarts) {
        giveUp(
          `${name} ${how} and was restarted ${maxRestarts} times in a row without staying up; its log (${child.logFile}) ends with:\n${child.logTail()}`,
        );
        return;
      }
      const delay = Math.min(backoffMs * 2 ** (failuresInARow - 1), maxBackoffMs);
      options.say(`${name} ${how}; restarting it in ${delay / 1000} s (restart ${failuresInARow} of ${maxRestarts})`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, delay);
      });
      if (stopping) return;
      child = options.start();
      restarts += 1;
      try {
        await options.ready(child);
        options.say(`${name} restarted`);
      } catch (error) {
        if (stopping) return;
        // Not ready: it exited during startup, or hangs; the next round counts it as a failure.
        options.say(`${name} did not come back: ${(error as Error).message.split('\n')[0]}`);
        await child.stop();
      }
    }
  };
  const started = options.ready(child);
  // Watched only once up: a child that cannot start at all fails the start, as before supervision.
  started.then(watch, () => undefined);

  return {
    name,
    current: () => child,
    restarts: () => restarts,
    started,
    gaveUp,
    stop: async () => {
      stopping = true;
      wake?.();
      await child.stop();
    },
  };
}
