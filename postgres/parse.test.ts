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

describe('syntax errors', () => {
  it('reports every statement that does not parse, not only the first, with the known mistake named', async () => {
    const sql =
      "CREATE TABLE café (a int);\nCREATE TABLE orders (id bigint, customer_id bigint, UNIQUE (customer_id) WHERE id > 0);\nSELECT 'x;y';\nSELEC 2;\n$$;$$;\nSELECT 1";
    const error = (await parseStatements(sql, 'm.sql').catch((e: unknown) => e)) as SqlSyntaxError;
    expect(error).toBeInstanceOf(SqlSyntaxError);
    expect(error.failures).toEqual([
      {
        reason: 'syntax error at or near "WHERE"',
        location: { file: 'm.sql', line: 2, column: 73 },
        hint: 'a UNIQUE constraint takes no WHERE, only a unique index does: leave it out of CREATE TABLE and add CREATE UNIQUE INDEX ON orders (customer_id) WHERE ... after it',
      },
      { reason: 'syntax error at or near "SELEC"', location: { file: 'm.sql', line: 4, column: 1 } },
      { reason: 'syntax error at or near "$$;$$"', location: { file: 'm.sql', line: 5, column: 1 } },
    ]);
    expect(error.message).toMatch(
      /^3 statements do not parse:\n {2}m\.sql:2:73: syntax error at or near "WHERE"; a UNIQUE/,
    );
  });
});
