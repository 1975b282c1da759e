import { parseStatements, SqlSyntaxError } from './parse';

describe('parseStatements', () => {
  it('gives each statement its text, kind and 1-based line and column, past comments and non-ASCII text', async () => {
    const sql = '-- add the table\nCREATE TABLE café (a int);\n\n  ALTER TABLE café\n    ADD COLUMN b int;\nSELECT 1';
    const statements = await parseStatements(sql, 'm.sql');
    expect(statements.map((s) => [s.kind, s.sql, s.location.line, s.location.column])).toEqual([
      ['CreateStmt', 'CREATE TABLE café (a int)', 2, 1],
      ['AlterTableStmt', 'ALTER TABLE café\n    ADD COLUMN b int', 4, 3],
      ['SelectStmt', 'SELECT 1', 6, 1],
    ]);
  });

  it('reads an empty or comment-only file as no statements', async () => {
    expect(await parseStatements('')).toEqual([]);
    expect(await parseStatements('-- nothing to undo\n/* really */\n')).toEqual([]);
  });

  it('reports a syntax error with its line and column', async () => {
    const error = await parseStatements('SELECT 1;\n  SELEC 2', 'bad.sql').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqlSyntaxError);
    expect((error as SqlSyntaxError).location).toEqual({ file: 'bad.sql', line: 2, column: 3 });
    expect((error as Error).message).toBe(
      'bad.sql:2:3: syntax error at or near "SELEC". Fix the SQL at that position; nothing was reviewed or applied.',
    );
  });
});
