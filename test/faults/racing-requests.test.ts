import { Client as PgClient } from 'pg';
import { requestStatus, startRequest } from '../../approvals/requests';
import { requestPage } from '../../approvals/web/pages';
import { requestPageData } from '../../approvals/web/request-page';
import { describe as describeRequest } from '../../cli/commands/requests';
import { atGate, ended, querySql, statusWhen } from '../support/requests';
import { waitFor } from '../../stack/wait';
import { approve, auditOf, changeRequest, harnessForFile, historyRows } from '../support/target-lock';

const ORDERS =
  'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, placed_at timestamptz NOT NULL)';

describe('two requests racing on one target', () => {
  // The first request's step waits on a table lock the test holds, long enough to be seen waiting.
  const opened = harnessForFile({ targetSetup: ORDERS, apply: { lockTimeoutMs: 60_000, lockRetries: 0 } });

  it('apply one at a time: the second waits for the first, says so on its page, and is reviewed again, not applied blind', async () => {
    const { services, target } = opened.harness;
    const store = opened.store;
    const first = await startRequest(services, changeRequest(target.name));
    const second = await startRequest(
      services,
      changeRequest(target.name, {
        title: 'add shipped_at',
        source: { format: 'sql', text: 'ALTER TABLE orders ADD COLUMN shipped_at timestamptz;' },
      }),
    );
    const [firstAsked, secondAsked] = [
      await statusWhen(services, first.requestId, 'at the gate', atGate),
      await statusWhen(services, second.requestId, 'at the gate', atGate),
    ];
    expect(secondAsked.waitingFor).toBe(`approvers ann, bob to decide ${secondAsked.questions[0]!.id}`);

    const blocker = new PgClient({ connectionString: target.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN; LOCK TABLE orders IN ACCESS SHARE MODE');
      await approve(services, first.requestId, firstAsked.questions[0]!.id);
      // The first holds the apply lock while its step waits on the table.
      await waitFor(`the runner of ${first.requestId} on the target`, async () => {
        const rows = await querySql(target.url, 'SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [
          `schemawright-apply ${first.requestId}`,
        ]);
        return rows.length > 0 || undefined;
      });
      await approve(services, second.requestId, secondAsked.questions[0]!.id);
      const waiting = await statusWhen(services, second.requestId, 'waiting for the lock', (view) =>
        Boolean(view.waitingFor?.includes('apply lock')),
      );
      const says = `the target's apply lock, held by request ${first.requestId}: requests on ${target.name} apply one at a time`;
      expect(waiting.waitingFor).toBe(says);
      expect(requestPage(await requestPageData(services, second.requestId, waiting))).toContain(
        `Waiting for ${says.replace(/'/g, '&#39;')}.`,
      );
      expect(describeRequest(waiting, 'http://web.test')).toContain(`  waiting for ${says}`);
      await blocker.query('ROLLBACK');
    } finally {
      await blocker.end();
    }

    expect((await statusWhen(services, first.requestId, 'done', ended)).state).toBe('completed');
    // The second's reviewed schema is gone: it is modeled and reviewed again and its approvers asked again.
    await statusWhen(
      services,
      second.requestId,
      'asked again',
      (view) => atGate(view) && view.questions.some((q) => q.id === 'approve#2'),
    );
    expect((await historyRows(target.url)).map((r) => r.request_id)).toEqual([first.requestId]);
    expect(await auditOf(store.pool, second.requestId, 'drift')).toHaveLength(1);

    await approve(services, second.requestId, 'approve#2', 'bob');
    expect((await statusWhen(services, second.requestId, 'done', ended)).state).toBe('completed');
    expect((await historyRows(target.url)).map((r) => [r.request_id, r.status])).toEqual([
      [first.requestId, 'applied'],
      [second.requestId, 'applied'],
    ]);
    expect((await requestStatus(services, second.requestId)).waitingFor).toBeUndefined();
  });
});
