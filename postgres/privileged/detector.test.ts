import { parseStatements, loadParser } from '../parse';
import { examples, privilegedStatements } from './detector';

beforeAll(() => loadParser());

async function reasonsOf(sql: string): Promise<string[]> {
  return privilegedStatements(await parseStatements(sql)).flatMap((p) => p.reasons);
}

describe('privileged statements', () => {
  it.each(examples.flagged.map((e) => [e.sql, e.reason] as const))('flags %s', async (sql, reason) => {
    expect((await reasonsOf(sql)).join('\n')).toMatch(reason);
  });

  it.each(examples.clean.map((sql) => [sql] as const))('leaves %s alone', async (sql) => {
    expect(await reasonsOf(sql)).toEqual([]);
  });

  it('names each flagged statement of a migration with its line, and only those', async () => {
    const sql = [
      'CREATE TABLE loot (body text);',
      "CREATE ROLE evil LOGIN PASSWORD 'x';",
      'ALTER TABLE loot ADD COLUMN n int;',
      "COPY (SELECT 1) TO PROGRAM 'touch /tmp/x';",
    ].join('\n');
    const found = privilegedStatements(await parseStatements(sql, '0001_attack.sql'));
    expect(found.map((p) => [p.statement.location.line, p.statement.sql, p.reasons])).toEqual([
      [2, "CREATE ROLE evil LOGIN PASSWORD 'x'", ['creates a role (roles belong to the whole cluster)']],
      [4, "COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'", ['runs a program on the database server (COPY TO PROGRAM)']],
    ]);
  });

  it('gives the exact reasons for a DO block that reads a server file into a table', async () => {
    expect(await reasonsOf("DO $$ BEGIN INSERT INTO loot SELECT pg_read_file('/etc/hostname'); END $$")).toEqual([
      "calls or names pg_read_file, which reads or writes the server's files",
    ]);
  });
});
