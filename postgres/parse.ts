import { scanSync } from 'libpg-query';
import { loadModule, parseSync } from 'pgsql-parser';
import { syntaxHint } from './syntax-hints';
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

/** One statement that does not parse: where, PostgreSQL's reason, and what was likely meant when it is a known mistake. */
export interface SyntaxFailure {
  reason: string;
  location: SourceLocation;
  hint?: string;
}

/** Every statement of a file that does not parse; `reason` and `location` are the first's. */
export class SqlSyntaxError extends Error {
  readonly reason: string;
  readonly location: SourceLocation;
  constructor(readonly failures: [SyntaxFailure, ...SyntaxFailure[]]) {
    const line = ({ reason, location, hint }: SyntaxFailure) =>
      `${location.file ? `${location.file}:` : ''}${location.line}:${location.column}: ${reason}${hint ? `; ${hint}` : ''}`;
    super(
      failures.length === 1
        ? `${line(failures[0])}. Fix the SQL at that position; nothing was reviewed or applied.`
        : `${failures.length} statements do not parse:\n${failures.map((f) => `  ${line(f)}`).join('\n')}\nFix the SQL at those positions; nothing was reviewed or applied.`,
    );
    this.name = 'SqlSyntaxError';
    this.reason = failures[0].reason;
    this.location = failures[0].location;
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
    throw new SqlSyntaxError(syntaxFailures(bytes, error, file));
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

/** The byte offset a parse error points at. */
function errorOffset(error: unknown, length: number): number {
  const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
  return Math.min(details?.cursorPosition ?? 0, length);
}

/**
 * The first failure, where the whole file's parse stopped, then every later statement that fails on
 * its own: the file is cut at its top-level semicolons by PostgreSQL's own scanner (so semicolons in
 * strings, comments and dollar quotes do not cut), and each piece after the first failure is parsed
 * alone. A file the scanner cannot read (an unterminated string) reports the first failure only.
 */
function syntaxFailures(bytes: Buffer, error: unknown, file: string | undefined): [SyntaxFailure, ...SyntaxFailure[]] {
  const position = positions(bytes);
  const first = errorOffset(error, bytes.length);
  let pieces: { start: number; end: number }[];
  try {
    pieces = statementPieces(bytes);
  } catch {
    return [{ reason: (error as Error).message, location: { file, ...position(first) } }];
  }
  const textOf = (piece: { start: number; end: number }) => bytes.subarray(piece.start, piece.end).toString('utf8');
  const failing = pieces.find((p) => p.end >= first) ?? { start: 0, end: bytes.length };
  const hint = syntaxHint(textOf(failing));
  const failures: [SyntaxFailure, ...SyntaxFailure[]] = [
    { reason: (error as Error).message, location: { file, ...position(first) }, ...(hint ? { hint } : {}) },
  ];
  for (const piece of pieces.filter((p) => p.start > failing.start)) {
    const text = textOf(piece);
    if (leadingTrivia(text) === text.length) continue;
    try {
      parseSync(text);
    } catch (pieceError) {
      const pieceHint = syntaxHint(text);
      failures.push({
        reason: (pieceError as Error).message,
        location: { file, ...position(piece.start + errorOffset(pieceError, piece.end - piece.start)) },
        ...(pieceHint ? { hint: pieceHint } : {}),
      });
    }
  }
  return failures;
}

/** Byte ranges of the statements of a file, cut at the semicolons the scanner finds outside strings and comments. */
function statementPieces(bytes: Buffer): { start: number; end: number }[] {
  const pieces: { start: number; end: number }[] = [];
  let start = 0;
  for (const token of scanSync(bytes.toString('utf8')).tokens) {
    if (token.text !== ';') continue;
    pieces.push({ start, end: token.start });
    start = token.end;
  }
  if (start < bytes.length) pieces.push({ start, end: bytes.length });
  return pieces;
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
