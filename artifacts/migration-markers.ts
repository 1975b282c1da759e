/**
 * The section markers that put an up and a down in one SQL file, per tool: goose
 * (`-- +goose Up` / `-- +goose Down`), sql-migrate (`-- +migrate Up` / `-- +migrate Down`) and dbmate
 * (`-- migrate:up` / `-- migrate:down`). A file read as one up when it has a down section would run its
 * rollback right after its change, so a marker this module does not understand is refused, never skipped.
 */

export type MarkerFormat = 'goose' | 'sql-migrate' | 'dbmate';

/** One file's sections, the down padded with blank lines so its line numbers are the file's. */
export interface MarkedSections {
  format: MarkerFormat;
  up: string;
  down?: string;
  /** The tool runs the up outside a transaction (goose NO TRANSACTION, sql-migrate notransaction, dbmate transaction:false). */
  upOutsideTransaction: boolean;
}

/** Why a file's markers cannot be read, naming the line; the caller adds the file. */
export class MarkerError extends Error {}

interface Marker {
  line: number;
  offset: number;
  format: MarkerFormat;
  /** up, down, begin/end (a statement block), notx (a whole-file flag), or an option-carrying up/down. */
  directive: 'up' | 'down' | 'begin' | 'end' | 'notx';
  outsideTransaction: boolean;
}

const GOOSE = /^--\s*\+goose\b\s*(.*)$/i;
const SQL_MIGRATE = /^--\s*\+migrate\b\s*(.*)$/i;
const DBMATE = /^--\s*migrate:(\S*)\s*(.*)$/;

/** Markers of tools whose files are not plain SQL sections we can apply: named, so the refusal says which. */
const FOREIGN_MARKERS: [RegExp, string][] = [
  [/^--\s*liquibase\s+formatted\s+sql/i, 'Liquibase formatted SQL (changesets with rollbacks)'],
  [/^--\s*!\s*(ups|downs)\b/i, 'Play evolutions (-- !Ups / -- !Downs)'],
  [/^--\s*\/\/\s*@undo\b/i, 'MyBatis migrations (-- //@UNDO)'],
];

function markerOf(text: string, line: number, offset: number): Marker | undefined {
  const trimmed = text.trim();
  for (const [pattern, tool] of FOREIGN_MARKERS)
    if (pattern.test(trimmed))
      throw new MarkerError(`line ${line} is a marker of ${tool}, which schemawright does not read`);
  const goose = GOOSE.exec(trimmed);
  if (goose) return gooseMarker(goose[1].trim(), line, offset);
  const sqlMigrate = SQL_MIGRATE.exec(trimmed);
  if (sqlMigrate) return sqlMigrateMarker(sqlMigrate[1].trim(), line, offset);
  const dbmate = DBMATE.exec(trimmed);
  if (dbmate) return dbmateMarker(dbmate[1], dbmate[2].trim(), line, offset);
  return undefined;
}

function gooseMarker(rest: string, line: number, offset: number): Marker {
  const base = { line, offset, format: 'goose' as const, outsideTransaction: false };
  // Read without regard to case: no two annotations differ only by case, so `up` cannot be misread.
  switch (rest.toLowerCase().replace(/\s+/g, ' ')) {
    case 'up':
      return { ...base, directive: 'up' };
    case 'down':
      return { ...base, directive: 'down' };
    case 'statementbegin':
      return { ...base, directive: 'begin' };
    case 'statementend':
      return { ...base, directive: 'end' };
    case 'no transaction':
      return { ...base, directive: 'notx', outsideTransaction: true };
    default:
      // ENVSUB ON substitutes environment variables into the SQL: what runs depends on an environment we do not see.
      throw new MarkerError(
        `line ${line} has the goose annotation "${rest}", which schemawright does not apply (it reads Up, Down, StatementBegin, StatementEnd and NO TRANSACTION)`,
      );
  }
}

function sqlMigrateMarker(rest: string, line: number, offset: number): Marker {
  const [word, ...options] = rest.split(/\s+/);
  const base = { line, offset, format: 'sql-migrate' as const };
  const unknown = options.filter((o) => o !== 'notransaction');
  if ((word === 'Up' || word === 'Down') && unknown.length === 0)
    return {
      ...base,
      directive: word === 'Up' ? 'up' : 'down',
      outsideTransaction: options.includes('notransaction'),
    };
  if ((word === 'StatementBegin' || word === 'StatementEnd') && options.length === 0)
    return { ...base, directive: word === 'StatementBegin' ? 'begin' : 'end', outsideTransaction: false };
  throw new MarkerError(
    `line ${line} has the sql-migrate annotation "${rest}", which schemawright does not apply (it reads Up, Down, notransaction, StatementBegin and StatementEnd)`,
  );
}

function dbmateMarker(direction: string, options: string, line: number, offset: number): Marker {
  const known = options === '' || /^transaction:(true|false)$/.test(options);
  if ((direction !== 'up' && direction !== 'down') || !known)
    throw new MarkerError(
      `line ${line} has the dbmate directive "migrate:${direction}${options ? ` ${options}` : ''}", which schemawright does not apply (it reads migrate:up, migrate:down and transaction:false)`,
    );
  return { line, offset, format: 'dbmate', directive: direction, outsideTransaction: options === 'transaction:false' };
}

/** True when the text has something other than blank lines and `--` comments. */
function hasSql(text: string): boolean {
  return text.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--'));
}

/**
 * A file's up and down by its markers; undefined when it has none (a plain up). Throws MarkerError
 * when the markers do not make one up section followed by at most one down section of one tool.
 */
export function splitMarkedSections(text: string): MarkedSections | undefined {
  const markers: Marker[] = [];
  let offset = 0;
  text.split('\n').forEach((line, index) => {
    const marker = markerOf(line, index + 1, offset);
    if (marker) markers.push(marker);
    offset += line.length + 1;
  });
  if (markers.length === 0) return undefined;
  const formats = [...new Set(markers.map((m) => m.format))];
  if (formats.length > 1)
    throw new MarkerError(`it mixes the markers of ${formats.join(' and ')}: one file is read by one tool`);
  const [format] = formats as [MarkerFormat];
  const ups = markers.filter((m) => m.directive === 'up');
  const downs = markers.filter((m) => m.directive === 'down');
  const up = ups[0];
  if (ups.length !== 1 || downs.length > 1 || !up)
    throw new MarkerError(
      `it has ${ups.length} up and ${downs.length} down markers of ${format}: write one up section, then at most one down section`,
    );
  const down = downs[0];
  if (down && down.line < up.line)
    throw new MarkerError(`its down marker (line ${down.line}) comes before its up marker (line ${up.line})`);
  if (hasSql(text.slice(0, up.offset)))
    throw new MarkerError(`it has SQL before its up marker (line ${up.line}), which ${format} does not run`);
  checkStatementBlocks(markers, format);
  const upText = down ? text.slice(0, down.offset) : text;
  return {
    format,
    up: upText,
    ...(down ? { down: '\n'.repeat(down.line - 1) + text.slice(down.offset) } : {}),
    upOutsideTransaction: markers.some((m) => m.outsideTransaction && (m.directive === 'notx' || m.directive === 'up')),
  };
}

/** StatementBegin/StatementEnd must pair up, or the tool would split the SQL differently than it reads. */
function checkStatementBlocks(markers: Marker[], format: MarkerFormat): void {
  let open: Marker | undefined;
  for (const marker of markers) {
    if (marker.directive === 'begin') {
      if (open)
        throw new MarkerError(
          `line ${marker.line} opens a ${format} statement block inside the one of line ${open.line}`,
        );
      open = marker;
    } else if (marker.directive === 'end') {
      if (!open) throw new MarkerError(`line ${marker.line} closes a ${format} statement block that was not opened`);
      open = undefined;
    } else if (open && (marker.directive === 'up' || marker.directive === 'down')) {
      throw new MarkerError(
        `the ${format} statement block of line ${open.line} is not closed before line ${marker.line}`,
      );
    }
  }
  if (open) throw new MarkerError(`the ${format} statement block of line ${open.line} is never closed`);
}
