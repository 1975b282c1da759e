import { Client } from 'pg';
import type { startChild } from '../../stack/child-process';
import { waitFor } from '../../stack/wait';
import { querySql } from '../support/requests';

/**
 * Kills a runner process with SIGKILL while each step is under way: for each hold, another session
 * takes it (`BEGIN; <hold>`), a runner starts, and once `done()` counts the steps before this one and
 * the runner waits on a lock (pg_stat_activity), it is killed and the hold released.
 */
export async function killAtEachStep(
  url: string,
  holds: string[],
  runner: () => ReturnType<typeof startChild>,
  done: () => Promise<number>,
): Promise<void> {
  for (const [index, hold] of holds.entries()) {
    const blocker = new Client({ connectionString: url, application_name: 'blocker' });
    await blocker.connect();
    await blocker.query(`BEGIN; ${hold}`);
    const child = runner();
    await waitFor(
      `the runner to be stopped inside step ${index + 1}`,
      async () => {
        if ((await done()) !== index) return undefined;
        const waiting = await querySql(
          url,
          `SELECT 1 FROM pg_stat_activity WHERE application_name = 'schemawright-apply' AND wait_event_type = 'Lock' AND wait_event <> 'advisory'`,
        );
        return waiting.length ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await child.stop(0, 'SIGKILL');
    await blocker.query('ROLLBACK');
    await blocker.end();
  }
}
