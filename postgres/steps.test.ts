import { parsePgVersion } from './pg-version';
import { stepsOfSql } from './steps';

const PG = parsePgVersion('18');

describe('steps as the runner applies them', () => {
  it('runs a VALIDATE in a transaction of its own after the NOT VALID it validates, so the scan holds no ADD lock', async () => {
    const steps = await stepsOfSql(
      'fk',
      'ALTER TABLE orders ADD COLUMN user_id bigint;\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\nALTER TABLE orders VALIDATE CONSTRAINT other_fk;',
      PG,
    );
    expect(steps.map((s) => [s.kind, s.sql.split('\n').length])).toEqual([
      ['transactional', 2],
      ['transactional', 2],
    ]);
    expect(steps[1]!.sql).toMatch(/^ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;/);
  });

  it('runs every statement alone when the tool runs the file outside a transaction', async () => {
    const steps = await stepsOfSql(
      'notx',
      'CREATE TABLE a (id bigint);\nCREATE TABLE b (id bigint);',
      PG,
      'm.sql',
      true,
    );
    expect(steps.map((s) => s.kind)).toEqual(['non-transactional', 'non-transactional']);
  });
});
