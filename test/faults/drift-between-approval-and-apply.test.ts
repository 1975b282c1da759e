import { fingerprint, type Catalog } from '../../postgres/introspection';
import { getArtifact } from '../../store/artifacts';
import { startRequest } from '../../approvals/requests';
import { waitFor } from '../../stack/wait';
import { atGate, ended, statusWhen } from '../support/requests';
import {
  approve,
  auditOf,
  changeRequest,
  columnsOf,
  harnessForFile,
  historyRows,
  holdApplyLock,
} from '../support/target-lock';

const ORDERS =
  'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, placed_at timestamptz NOT NULL)';

describe('a schema change slipped in between approval and apply', () => {
  const opened = harnessForFile({ targetSetup: ORDERS });

  it('is found under the apply lock: nothing is applied blind, the change is modeled and reviewed again from the new schema, and asked again', async () => {
    const { services, target } = opened.harness;
    const store = opened.store;
    const { requestId } = await startRequest(services, changeRequest(target.name));
    const asked = await statusWhen(services, requestId, 'at the gate', atGate);
    // The phases before the gate are audited with its question, a moment after the gate shows: counted once it is in.
    await waitFor('the question audited', async () =>
      (await auditOf(store.pool, requestId, 'question-raised')).length ? true : undefined,
    );
    const analysed = (await auditOf(store.pool, requestId, 'phase-done')).length;

    // Another runner holds the lock when the approval comes: the request's apply waits behind it.
    const other = await holdApplyLock(target.url);
    await approve(services, requestId, asked.questions[0]!.id);
    await statusWhen(services, requestId, 'applying', (view) => view.phase === 'apply');
    // What that other runner applies, while this request waits for the lock.
    await other.client.query('ALTER TABLE orders ADD COLUMN shipped_at timestamptz');
    await other.release();

    const again = await statusWhen(
      services,
      requestId,
      'asked again',
      (view) => atGate(view) && view.questions.some((q) => q.id === 'approve#2'),
    );
    expect(again.questions.map((q) => q.id)).toEqual(['approve#2']);
    // Nothing of the request ran: the check was in the session that would have applied, under the lock.
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at', 'shipped_at']);
    expect(await historyRows(target.url)).toEqual([]);

    const [drift] = await auditOf(store.pool, requestId, 'drift');
    const phases = (await auditOf(store.pool, requestId, 'phase-done')).map((d) => d.phase);
    // The reviewed fingerprint is the analysed catalog's; after the drift, analysis and modeling ran again before review.
    const analyses = (await auditOf(store.pool, requestId, 'phase-done')).filter((d) => d.phase === 'analysis');
    const catalogOf = async (i: number) =>
      fingerprint(
        JSON.parse(
          (await getArtifact(store.pool, (analyses[i]!.artifacts as Record<string, string>).catalog!)).content,
        ) as Catalog,
      );
    expect(drift).toEqual({ round: 1, reviewed: await catalogOf(0), current: await catalogOf(1) });
    expect(drift!.reviewed).not.toEqual(drift!.current);
    expect(phases.slice(analysed)).toEqual(['apply', 'analysis', 'modeling', 'review']);

    await approve(services, requestId, 'approve#2', 'bob');
    const done = await statusWhen(services, requestId, 'done', ended);
    expect(done.state).toBe('completed');
    expect(await columnsOf(target.url, 'orders')).toEqual(['id', 'placed_at', 'shipped_at', 'note']);
    expect(await historyRows(target.url)).toEqual([
      expect.objectContaining({ status: 'applied', request_id: requestId }),
    ]);
    const applied = await auditOf(store.pool, requestId, 'step-applied');
    expect(applied).toHaveLength(1);
  });
});
