import { Client } from 'pg';
import { applyMigration, revertMigrations, STEP_KINDS } from '..';
import { querySql, runSql } from '../../../test/support/requests';
import { createTestDatabase } from '../../../test/support/stack';

/** Every step kind's examples: applied once, checked, skipped when run again, undone. */
describe.each(Object.values(STEP_KINDS))('step kind $kind', (kind) => {
  it('has an explanation and examples of its own kind', () => {
    expect(kind.explanation.length).toBeGreaterThan(40);
    expect(kind.examples.length).toBeGreaterThan(0);
    expect(kind.examples.every((e) => e.step.kind === kind.kind)).toBe(true);
    expect(kind.plan(kind.examples[0].step)).toMatchObject({ kind: kind.kind, step: kind.examples[0].step.name });
  });

  it.each(kind.examples.map((example) => [example.step.name, example] as const))(
    'example %s applies once and undoes',
    async (_name, example) => {
      const db = await createTestDatabase('sw_step_kind');
      try {
        await runSql(db.url, example.setup);
        const target = { name: 'example', connectionString: db.url };
        const migration = { version: '1', name: example.step.name, steps: [example.step] };
        const options = { requestId: 'example', decidedBy: ['ann'] };
        expect(await applyMigration(target, migration, options)).toMatchObject({ applied: 1 });
        expect(await querySql(db.url, example.check)).toEqual([{ ok: true }]);
        // Applied and recorded: nothing for a stop report to tell.
        const client = new Client({ connectionString: db.url });
        await client.connect();
        expect(
          await kind.leftBehind({ client, step: example.step, status: 'applied' }).finally(() => client.end()),
        ).toBe(undefined);
        expect(await applyMigration(target, migration, options)).toMatchObject({ applied: 0, alreadyApplied: 1 });
        expect(await revertMigrations(target, [migration], options)).toMatchObject({ reverted: ['1'] });
        expect(await querySql(db.url, example.undone)).toEqual([{ ok: true }]);
      } finally {
        await db.drop();
      }
    },
  );
});
