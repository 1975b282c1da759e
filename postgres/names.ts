/** SQL identifiers as PostgreSQL's quote_ident writes them: bare when safe, double-quoted otherwise. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** `schema.name`, each part quoted as needed: from its two parts, or from a name as written (`schema.table` or `table`). */
export function qualified(schema: string, name?: string): string {
  return name === undefined ? schema.split('.').map(quoteIdent).join('.') : `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A string literal as PostgreSQL reads it with standard_conforming_strings on: single quotes doubled. */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A new identifier from parts, cut to PostgreSQL's 63 bytes the way it would cut it silently. */
export function identifierFrom(...parts: string[]): string {
  let name = parts.join('_');
  while (Buffer.byteLength(name) > 63) name = name.slice(0, -1);
  return name;
}

// The reserved words that would otherwise pass as bare identifiers (enough for column and table names we print).
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation column concurrently constraint create cross ' +
    'current_catalog current_date current_role current_schema current_time current_timestamp current_user default deferrable desc distinct do else end except ' +
    'false fetch for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit localtime ' +
    'localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references returning right select session_user similar some ' +
    'symmetric system_user table tablesample then to trailing true union unique user using variadic verbose when where window with'
  ).split(' '),
);
