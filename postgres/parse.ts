import { loadModule, parseSync } from 'pgsql-parser';
import type { Node } from '@pgsql/types';
import type { SourceLocation } from '../artifacts/findings';

/**
 * One statement of a migration as PostgreSQL's own parser (libpg-query) sees it: its text, its AST,
 * and where it starts in the file. Every review engine (lint rules, lock model, online rewrites)
 * works on these, so a file is parsed once.
 */
export interface ParsedStatement {
  index: number;
  /** The statement's text without the trailing semicolon. */
  sql: string;
  /** The AST node, e.g. `{ IndexStmt: {...} }`. */
  node: Node;
  /** The node's type name: `IndexStmt`, `AlterTableStmt`, ... */
  kind: string;
  location: SourceLocation;
}

export class SqlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly location: SourceLocation,
  ) {
    const where = `${location.file ? `${location.file}:` : ''}${location.line}:${location.column}`;
    super(`${where}: ${reason}. Fix the SQL at that position; nothing was reviewed or applied.`);
    this.name = 'SqlSyntaxError';
  }
}

let parserReady: Promise<void> | undefined;
let parserLoaded = false;

/** Loads the parser (WebAssembly) once per process; parseStatementsSync needs it done. */
export function loadParser(): Promise<void> {
  parserReady ??= loadModule().then(() => {
    parserLoaded = true;
  });
  return parserReady;
}

/** Parses a whole file. A syntax error throws SqlSyntaxError with its line and column. */
export async function parseStatements(sql: string, file?: string): Promise<ParsedStatement[]> {
  await loadParser();
  return parseStatementsSync(sql, file);
}

/** parseStatements for callers that cannot await (plain engines over already reviewed SQL), once loadParser() has resolved. */
export function parseStatementsSync(sql: string, file?: string): ParsedStatement[] {
  if (!parserLoaded)
    throw new Error('The SQL parser is not loaded: await loadParser() once before parsing synchronously.');
  // An empty file (or only comments) is a migration with nothing to do, not a syntax error.
  if (leadingTrivia(sql) === sql.length) return [];
  // libpg-query reports byte offsets; work on the UTF-8 bytes so non-ASCII text keeps positions right.
  const bytes = Buffer.from(sql, 'utf8');
  let result;
  try {
    result = parseSync(sql);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const offset = Math.min(details?.cursorPosition ?? 0, bytes.length);
    throw new SqlSyntaxError((error as Error).message, { file, ...positions(bytes)(offset) });
  }
  const position = positions(bytes);
  return (result.stmts ?? []).map((raw, index) => {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const text = bytes.subarray(start, end).toString('utf8');
    // The parser counts comments and blank lines before a statement as part of it; skip them.
    const leading = leadingTrivia(text);
    const node = raw.stmt as Node;
    return {
      index,
      sql: text.slice(leading).trim(),
      node,
      kind: Object.keys(node)[0] ?? 'Unknown',
      location: { file, ...position(start + Buffer.byteLength(text.slice(0, leading))) },
    };
  });
}

function leadingTrivia(text: string): number {
  const match = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/.exec(text);
  return match ? match[0].length : 0;
}

/** Line and column of byte offsets in one file; indexes the line starts once, as a schema dump has thousands of statements. */
function positions(bytes: Buffer): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: bytes.subarray(starts[low]!, offset).toString('utf8').length + 1 };
  };
}
