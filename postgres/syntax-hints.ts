/**
 * Known mistakes behind a syntax error, each with the construct it names and the SQL that says what
 * was meant. PostgreSQL's message says where the parser stopped ("syntax error at or near WHERE");
 * these say why and what to write instead.
 */
interface SyntaxHint {
  /** Matches the text of the statement that failed to parse. */
  pattern: RegExp;
  hint: (match: RegExpExecArray) => string;
}

const HINTS: SyntaxHint[] = [
  {
    pattern:
      /^\s*CREATE\s+(?:(?:UNLOGGED|TEMP|TEMPORARY)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w."]+)[\s\S]*?\bUNIQUE\s*\(([^)]*)\)\s*WHERE\b/i,
    hint: ([, table, columns]) =>
      `a UNIQUE constraint takes no WHERE, only a unique index does: leave it out of CREATE TABLE and add CREATE UNIQUE INDEX ON ${table} (${columns!.trim()}) WHERE ... after it`,
  },
  {
    pattern: /^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS\s+CONCURRENTLY\b/i,
    hint: () => 'CONCURRENTLY comes before IF NOT EXISTS: CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON ...',
  },
  {
    pattern: /\bAUTO_INCREMENT\b/i,
    hint: () => 'AUTO_INCREMENT is MySQL: write bigint GENERATED ALWAYS AS IDENTITY',
  },
  {
    pattern: /`[^`\n]+`/,
    hint: () => 'backticks quote names in MySQL: PostgreSQL quotes names with double quotes ("name")',
  },
  {
    pattern: /^\s*ALTER\s+TABLE\s+[\s\S]*?\bMODIFY\s+(?:COLUMN\s+)?([\w"]+)/i,
    hint: ([, column]) =>
      `MODIFY is MySQL: write ALTER COLUMN ${column} TYPE ..., ALTER COLUMN ${column} SET/DROP NOT NULL or SET DEFAULT`,
  },
];

/** What was likely meant, when the failed statement is a known mistake. */
export function syntaxHint(statement: string): string | undefined {
  for (const { pattern, hint } of HINTS) {
    const match = pattern.exec(statement);
    if (match) return hint(match);
  }
  return undefined;
}
