import { parseStatements } from '../../../postgres/parse';
import { parsePgVersion } from '../../../postgres/pg-version';
import { asRunText, squawkAsRun } from './as-run';

const PG = parsePgVersion('18');

describe('squawk on a file as the runner runs it', () => {
  it("writes the runner's transactions around the statements, on the file's own lines", async () => {
    const sql =
      'BEGIN;\nALTER TABLE t ADD COLUMN a int;\nCOMMIT;\n  CREATE INDEX CONCURRENTLY i ON t (a);\nALTER TABLE t ADD COLUMN b int;';
    const text = asRunText(await parseStatements(sql), PG);
    expect(text.sql).toBe(
      '\nBEGIN; ALTER TABLE t ADD COLUMN a int; COMMIT;\n\nCREATE INDEX CONCURRENTLY i ON t (a);\nBEGIN; ALTER TABLE t ADD COLUMN b int; COMMIT;',
    );
    // `a` of line 2 is column 26 as written, 33 behind the runner's BEGIN; the index is indented by two.
    expect(text.locate(2, 33)).toEqual({ line: 2, column: 26 });
    expect(text.locate(4, 1)).toEqual({ line: 4, column: 3 });
  });

  it('points findings at the file as written and says it judged the file as run', async () => {
    const sql = 'BEGIN;\nALTER TABLE t ADD COLUMN a int NOT NULL;\nCOMMIT;\n';
    const up = await parseStatements(sql, 'm.sql');
    const [findings] = await squawkAsRun([{ file: { path: 'm.sql', up: sql }, up }], PG);
    expect(findings!.map((f) => [f.id, f.location])).toEqual([
      ['adding-required-field', { file: 'm.sql', line: 2, column: 15 }],
      ['prefer-bigint-over-int', { file: 'm.sql', line: 2, column: 28 }],
    ]);
    expect(findings![0]!.why).toContain("Checked as schemawright's runner applies the file");
  });

  it('judges a file its tool runs outside a transaction with each statement alone', async () => {
    const sql = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nALTER TABLE t ADD COLUMN IF NOT EXISTS b bigint;';
    const up = await parseStatements(sql, 'm.sql');
    const [findings] = await squawkAsRun([{ file: { path: 'm.sql', up: sql, upOutsideTransaction: true }, up }], PG);
    expect(findings).toEqual([]);
  });
});
