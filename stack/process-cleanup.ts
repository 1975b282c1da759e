/**
 * Servers this process started for itself (a sandbox PostgreSQL) register how to stop them here, so a
 * command stops them before it exits, also when it fails, without importing what it never started.
 */
const started: Array<() => Promise<void>> = [];

export function stopBeforeExit(stop: () => Promise<void>): void {
  if (!started.includes(stop)) started.push(stop);
}

/** Stops what this process started, the latest first. */
export async function stopStartedServices(): Promise<void> {
  for (let stop = started.pop(); stop; stop = started.pop()) await stop();
}
