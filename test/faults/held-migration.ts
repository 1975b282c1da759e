import { Client } from 'pg';
import { waitFor } from '../../stack/wait';

/**
 * Holds a migration step mid-way so a fault lands on it deterministically, without sleeps: another
 * session opens a transaction and takes what the step needs (a table lock, a row lock, an open write
 * a CONCURRENTLY build must wait out); the test waits until pg_stat_activity shows the runner's
 * statement waiting on it, injects the fault, then releases.
 */
export interface HeldStep {
  /** The runner's backend pid once its statement starting with `statementStart` waits on a lock. */
  runnerWaiting(statementStart: string): Promise<number>;
  /** Ends the holding transaction (rolled back); safe after the holder was killed by a restart. */
  release(): Promise<void>;
}

export async function holdStep(url: string, holdSql: string): Promise<HeldStep> {
  const holder = new Client({ connectionString: url, application_name: 'fault-holder' });
  // A server restart ends the holder too: that must not crash the test process.
  holder.on('error', () => undefined);
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(holdSql);
  return {
    async runnerWaiting(statementStart) {
      const watcher = new Client({ connectionString: url });
      await watcher.connect();
      try {
        return await waitFor(
          `the runner's "${statementStart}" to wait on the held lock`,
          async () =>
            (
              await watcher.query<{ pid: number }>(
                `SELECT pid FROM pg_stat_activity
                  WHERE application_name = 'schemawright-apply' AND wait_event_type = 'Lock' AND starts_with(query, $1)`,
                [statementStart],
              )
            ).rows[0]?.pid,
          { timeoutMs: 30_000, intervalMs: 20 },
        );
      } finally {
        await watcher.end();
      }
    },
    async release() {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end().catch(() => undefined);
    },
  };
}
