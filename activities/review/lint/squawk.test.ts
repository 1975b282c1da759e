import { parsePgVersion } from '../../../postgres/pg-version';
import { EXCLUDED_SQUAWK_RULES, runSquawk } from './squawk';
import { SQUAWK_RULES } from './squawk-rules';
import type { PgVersion } from '../../../postgres/pg-version';

async function squawk(sql: string, pgVersion: PgVersion) {
  return (await runSquawk([{ path: 'm.sql', sql }], pgVersion))[0]!;
}

describe('runSquawk', () => {
  it("keeps squawk's rule names and messages, source squawk, with 1-based lines and columns", async () => {
    const findings = await squawk(
      'CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN c int NOT NULL;',
      parsePgVersion('16'),
    );
    const required = findings.find((f) => f.id === 'adding-required-field');
    expect(required).toMatchObject({
      source: 'squawk',
      severity: 'warning',
      location: { file: 'm.sql', line: 2, column: 15 },
    });
    expect(required?.fix).toBe('Make the field nullable or add a non-VOLATILE DEFAULT');
  });

  it('runs many files in one process and gives each file its own findings', async () => {
    const [first, second] = await runSquawk(
      [
        { path: 'a.sql', sql: 'CREATE INDEX i ON t (a);' },
        { path: 'b.sql', sql: 'ALTER TABLE t ADD COLUMN IF NOT EXISTS c text;' },
      ],
      parsePgVersion('16'),
    );
    expect(first!.map((f) => [f.id, f.location?.file])).toEqual([['require-concurrent-index-creation', 'a.sql']]);
    expect(second).toEqual([]);
  });

  it('leaves out the timeout rules, since the runner sets lock_timeout and statement_timeout itself', async () => {
    const ids = (await squawk('CREATE INDEX i ON t (a);', parsePgVersion('16'))).map((f) => f.id);
    expect(ids).toContain('require-concurrent-index-creation');
    expect(ids.filter((id) => /timeout/.test(id))).toEqual([]);
  });

  it("judges by the target's version: a column default rewrites the table only before PostgreSQL 11", async () => {
    const sql = "ALTER TABLE t ADD COLUMN c text DEFAULT 'x';";
    expect((await squawk(sql, parsePgVersion('10'))).map((f) => f.id)).toContain('adding-field-with-default');
    expect((await squawk(sql, parsePgVersion('16'))).map((f) => f.id)).not.toContain('adding-field-with-default');
  });

  it('flags CREATE INDEX CONCURRENTLY beside other statements as needing to run outside the transaction the runner opens', async () => {
    const ids = (
      await squawk(
        'ALTER TABLE t ADD COLUMN IF NOT EXISTS a bigint;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);',
        parsePgVersion('16'),
      )
    ).map((f) => f.id);
    expect(ids).toContain('ban-concurrent-index-creation-in-transaction');
  });

  it('raises every rule docs/rules.md lists from its example, and none of the excluded ones', async () => {
    const findings = await runSquawk(
      SQUAWK_RULES.map((rule) => ({ path: `${rule.id}.sql`, sql: rule.example })),
      parsePgVersion('18'),
    );
    expect(
      SQUAWK_RULES.filter((rule, i) => !findings[i]!.some((f) => f.id === rule.id)).map((rule) => rule.id),
    ).toEqual([]);
    expect(SQUAWK_RULES.map((rule) => rule.id).filter((id) => EXCLUDED_SQUAWK_RULES.includes(id))).toEqual([]);
  });
});
