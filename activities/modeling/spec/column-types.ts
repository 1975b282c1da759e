import { closest } from '../../../config/did-you-mean';

/**
 * The column types a spec may name, and the ones it may not with what to write instead: the same
 * advice analysis gives about a live schema (SW-A-CHAR-N, SW-A-JSON, SW-A-TIMESTAMP-NO-TZ,
 * SW-A-SERIAL), given before the schema exists.
 */
const ALIASES: Record<string, string> = {
  text: 'text',
  integer: 'integer',
  int: 'integer',
  int4: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  smallint: 'smallint',
  int2: 'smallint',
  numeric: 'numeric',
  decimal: 'numeric',
  real: 'real',
  float4: 'real',
  'double precision': 'double precision',
  float8: 'double precision',
  float: 'double precision',
  boolean: 'boolean',
  bool: 'boolean',
  date: 'date',
  time: 'time',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  interval: 'interval',
  uuid: 'uuid',
  jsonb: 'jsonb',
  bytea: 'bytea',
  inet: 'inet',
  cidr: 'cidr',
  macaddr: 'macaddr',
  tsvector: 'tsvector',
  daterange: 'daterange',
  tstzrange: 'tstzrange',
  int4range: 'int4range',
  int8range: 'int8range',
  numrange: 'numrange',
};

/** Every type a spec can name, by its canonical name. */
export const SPEC_COLUMN_TYPES = [...new Set(Object.values(ALIASES))];

/** Types PostgreSQL has but a new design should not use, with what to write instead. */
const DISCOURAGED: Record<string, string> = {
  varchar: 'use \'text\' (bound the length with check: "char_length(COLUMN) <= N" if it matters)',
  'character varying': 'use \'text\' (bound the length with check: "char_length(COLUMN) <= N" if it matters)',
  char: "use 'text': char(n) pads with spaces and compares surprisingly",
  character: "use 'text': char(n) pads with spaces and compares surprisingly",
  json: "use 'jsonb': it can be indexed and compared, and drops duplicate keys",
  timestamp: "use 'timestamptz': a timestamp without time zone is read differently by every client's time zone",
  'timestamp without time zone':
    "use 'timestamptz': a timestamp without time zone is read differently by every client's time zone",
  timetz: "use 'time' with a separate zone, or 'timestamptz'",
  serial: "every entity gets 'id bigint GENERATED ALWAYS AS IDENTITY'; use 'bigint' for a plain number",
  bigserial: "every entity gets 'id bigint GENERATED ALWAYS AS IDENTITY'; use 'bigint' for a plain number",
  smallserial: "every entity gets 'id bigint GENERATED ALWAYS AS IDENTITY'; use 'smallint' for a plain number",
  money: "use 'numeric(12,2)' with the currency in its own column: money depends on lc_monetary",
};

/** Names other languages and databases use, and PostgreSQL's name for each: suggestions only. */
const OTHER_NAMES: Record<string, string> = {
  string: 'text',
  str: 'text',
  long: 'bigint',
  int64: 'bigint',
  int32: 'integer',
  double: 'double precision',
  datetime: 'timestamptz',
  object: 'jsonb',
  blob: 'bytea',
  binary: 'bytea',
  guid: 'uuid',
};

/** Types that take a modifier: numeric(precision, scale); the others take none. */
const WITH_MODIFIER = new Set(['numeric']);

export type TypeCheck = { type: string } | { error: string };

export function normalizeColumnType(written: string): TypeCheck {
  if (/\(\s*\d+\s*$/.test(written)) {
    return {
      error: `type '${written}' was cut at its comma: inside { } a comma ends the value, so quote the type, e.g. type: "${written.trim()},2)"`,
    };
  }
  const match = /^\s*([a-z][a-z0-9 ]*?)\s*(\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*(\[\])?\s*$/i.exec(written);
  if (!match)
    return {
      error: `cannot read type '${written}': write a PostgreSQL type such as text, bigint, numeric(12,2), timestamptz or text[]`,
    };
  const [, rawName, modifier, precision, scale, array] = match;
  const name = rawName!.toLowerCase().replace(/\s+/g, ' ');
  if (name in DISCOURAGED) return { error: `type '${written}' is not accepted: ${DISCOURAGED[name]}` };
  const type = ALIASES[name];
  if (!type) {
    const near = closest(name, [...Object.keys(ALIASES), ...Object.keys(OTHER_NAMES)]);
    const suggestion = OTHER_NAMES[name] ?? (near && (ALIASES[near] ?? OTHER_NAMES[near]));
    return {
      error: `unknown type '${written}'${suggestion ? `; did you mean '${suggestion}'?` : ': write a PostgreSQL type such as text, bigint, numeric(12,2), timestamptz or jsonb'}`,
    };
  }
  if (modifier && !WITH_MODIFIER.has(type))
    return { error: `type '${type}' takes no modifier: write '${type}${array ?? ''}'` };
  if (precision !== undefined && scale !== undefined && Number(scale) > Number(precision)) {
    return {
      error: `numeric(${precision},${scale}) has a scale larger than its precision: write numeric(precision, scale) with scale <= precision`,
    };
  }
  return { type: `${type}${modifier ? `(${precision}${scale !== undefined ? `,${scale}` : ''})` : ''}${array ?? ''}` };
}
