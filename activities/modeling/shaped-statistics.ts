import type { Client } from 'pg';
import { qualified, quoteIdent } from '../../postgres/names';
import type { DesignModel, PlannedTable } from './design-model';

/** Rows written per table: enough for ANALYZE to see each column's distribution, little enough to stay fast. */
export const SAMPLE_ROWS = 1000;
/** In a sample, every tenth value of a nullable column is NULL. */
const NULL_EVERY = 10;
/** Timestamps spread over this many days on either side of the first range partition's start (or today). */
const TIME_SPREAD_DAYS = 90;
/** Multipliers that scatter references over the referenced rows (one coprime to each row count is chosen). */
const SCATTER_PRIMES = [7919, 7927, 7933, 7937, 7949, 7951, 7963, 7993, 8009, 8011];

export interface TableStatistics {
  table: string;
  /** Rows the planner believes the table holds. */
  rows: number;
  /**
   * Where that count comes from. 'empty in the spec, sampled for its references': the spec says 0
   * rows but a NOT NULL reference must point at something, so a sample is written all the same
   * while the planner is still told 0 rows.
   */
  basis: 'spec volume' | 'first side of the link' | 'not in the spec' | 'empty in the spec, sampled for its references';
  /** Rows written to the shadow database, from which ANALYZE took the columns' distributions. */
  sampled: number;
  /** Why the table could not be sampled; its patterns are not judged. */
  error?: string;
}

/** How the planner's row counts are overwritten: PostgreSQL 18's function (the table owner may), or pg_class itself (superuser only). */
export type RowCountMethod = 'pg_restore_relation_stats' | 'pg_class';

interface ColumnInfo {
  table: string;
  column: string;
  notNull: boolean;
  /** format_type: the SQL to cast to. */
  type: string;
  /** The base type's name, category and kind (domains look through to their base). */
  base: string;
  category: string;
  enum: boolean;
  maxLength: number | null;
  /** Filled by the database itself: identity, generated, or a sequence default. */
  automatic: boolean;
  /** numeric(p, s): p - s; null for other types. */
  integerDigits: number | null;
}

/**
 * Makes the planner on a shadow database plan as if its tables held the spec's volumes. Each table
 * gets a sample (up to SAMPLE_ROWS rows, references scattered over the referenced sample, every
 * tenth nullable value NULL, enums and booleans cycling, other values distinct), ANALYZE reads its
 * distributions, a foreign key column's distinct count is set to the referenced table's rows, and
 * then every table, partition and index is told its row count scaled to the spec's volume. The
 * planner multiplies that density by the pages it finds, so the sample's pages stand in for the
 * real ones: row counts and selectivities are the spec's, I/O costs are the sample's.
 *
 * Runs in the caller's transaction, so autovacuum never sees the sample and cannot re-ANALYZE it.
 */
export async function shapeStatistics(
  client: Client,
  model: DesignModel,
  method: RowCountMethod,
): Promise<TableStatistics[]> {
  const columns = await readColumns(client, model.schema);
  // FORCE ROW LEVEL SECURITY would hold the owner to the tenant policies while writing the sample.
  const forced = (
    await client.query<{ name: string }>(
      'SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relforcerowsecurity',
      [model.schema],
    )
  ).rows.map((r) => r.name);
  for (const name of forced) await client.query(`ALTER TABLE ${name} NO FORCE ROW LEVEL SECURITY`);
  // The sample's made-up values would break CHECK constraints, which do not steer these plans
  // (constraint_exclusion's default leaves them to inheritance and UNION ALL): they go, in this transaction.
  const checks = await client.query<{ table: string; name: string }>(
    "SELECT c.conrelid::regclass::text AS table, quote_ident(c.conname) AS name FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.contype = 'c' AND c.conislocal",
    [model.schema],
  );
  for (const check of checks.rows) await client.query(`ALTER TABLE ${check.table} DROP CONSTRAINT ${check.name}`);
  // Tenant-scoped references (tenant, x_id) would need each sample row's references to share a tenant,
  // which scattered samples do not; their columns are still sampled from the referenced rows.
  const scoped = await client.query<{ table: string; name: string }>(
    "SELECT c.conrelid::regclass::text AS table, quote_ident(c.conname) AS name FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND c.contype = 'f' AND cardinality(c.conkey) > 1 AND c.conislocal",
    [model.schema],
  );
  for (const fk of scoped.rows) await client.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT ${fk.name}`);
  const anchor = timeAnchor(model);
  const results = new Map<string, TableStatistics>();
  const sampled = new Map<string, number>();
  const referencedNotNull = new Set(
    model.tables.flatMap((t) =>
      t.foreignKeys
        .filter((fk) => fk.table !== t.name && !t.columns.find((c) => c.name === fk.column)?.nullable)
        .map((fk) => fk.table),
    ),
  );
  for (const table of fillOrder(model.tables)) {
    const { rows, basis } = expectedRows(table, referencedNotNull.has(table.name));
    const statistics: TableStatistics = { table: table.name, rows, basis, sampled: 0 };
    results.set(table.name, statistics);
    const sampleRows = basis === 'empty in the spec, sampled for its references' ? SAMPLE_ROWS : rows;
    try {
      await client.query('SAVEPOINT sw_sample');
      statistics.sampled = await writeSample(
        client,
        model.schema,
        table,
        columns.filter((c) => c.table === table.name),
        { rows: sampleRows, anchor, sampled },
      );
      await client.query('RELEASE SAVEPOINT sw_sample');
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT sw_sample');
      statistics.error = `no sample could be written: ${(error as Error).message}`;
    }
    sampled.set(table.name, statistics.sampled);
  }
  for (const name of forced) await client.query(`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY`);
  for (const statistics of results.values()) {
    if (statistics.sampled === 0) continue;
    const table = model.tables.find((t) => t.name === statistics.table)!;
    await setReferenceDistinctCounts(
      client,
      model.schema,
      table,
      statistics.rows / statistics.sampled,
      (name) => results.get(name)?.rows ?? 0,
    );
    await client.query(`ANALYZE ${qualified(model.schema, table.name)}`);
    await scaleRowCounts(client, qualified(model.schema, table.name), statistics.rows / statistics.sampled, method);
  }
  return model.tables.map((t) => results.get(t.name)!);
}

function expectedRows(table: PlannedTable, referencedNotNull: boolean): Pick<TableStatistics, 'rows' | 'basis'> {
  if (table.rows === 0 && referencedNotNull) return { rows: 0, basis: 'empty in the spec, sampled for its references' };
  if (table.rows !== null)
    return { rows: table.rows, basis: table.entity === null ? 'first side of the link' : 'spec volume' };
  // A table nobody sized is taken at the sample's size: small, where a sequential scan may be the right plan.
  return { rows: SAMPLE_ROWS, basis: 'not in the spec' };
}

/** Referenced tables first, so references have rows to point at; a cycle is broken where it falls. */
function fillOrder(tables: PlannedTable[]): PlannedTable[] {
  const ordered: PlannedTable[] = [];
  const visiting = new Set<string>();
  const visit = (table: PlannedTable) => {
    if (ordered.includes(table) || visiting.has(table.name)) return;
    visiting.add(table.name);
    for (const fk of table.foreignKeys) {
      const referenced = tables.find((t) => t.name === fk.table);
      if (referenced) visit(referenced);
    }
    ordered.push(table);
  };
  tables.forEach(visit);
  return ordered;
}

async function readColumns(client: Client, schema: string): Promise<ColumnInfo[]> {
  const { rows } = await client.query<ColumnInfo>(
    `SELECT c.relname AS table, a.attname AS column, a.attnotnull AS "notNull", format_type(a.atttypid, a.atttypmod) AS type,
            b.typname AS base, b.typcategory AS category, b.typtype = 'e' AS enum,
            CASE WHEN b.oid IN ('varchar'::regtype, 'bpchar'::regtype) AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS "maxLength",
            a.attidentity <> '' OR a.attgenerated <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false) AS automatic,
            CASE WHEN b.typname = 'numeric' AND a.atttypmod > 4 THEN ((a.atttypmod - 4) >> 16) - ((a.atttypmod - 4) & 65535) END AS "integerDigits"
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  return rows;
}

/** The first range partition's start, so every partition of a time-partitioned table gets rows; today without one. */
function timeAnchor(model: DesignModel): string {
  const bound = model.partitions
    .flatMap((p) => (p.strategy === 'range' ? p.partitions : []))
    .map((p) => /FROM \('([^']+)'\)/.exec(p.bound)?.[1])[0];
  return bound ? `timestamptz '${bound}'` : 'now()';
}

interface SampleContext {
  rows: number;
  anchor: string;
  /** Rows already written per table. */
  sampled: Map<string, number>;
}

/**
 * One INSERT … SELECT over generate_series. A reference takes the referenced ids in a scattered
 * order (i × a prime modulo their count); the references of a unique key made only of references
 * then stay distinct up to the least common multiple of the counts, which caps the sample.
 */
async function writeSample(
  client: Client,
  schema: string,
  table: PlannedTable,
  columns: ColumnInfo[],
  context: SampleContext,
): Promise<number> {
  const references = new Map(table.foreignKeys.map((fk) => [fk.column, fk]));
  const referencedCount = (column: string) =>
    references.get(column)!.table === table.name ? 0 : (context.sampled.get(references.get(column)!.table) ?? 0);
  const keys = [table.primaryKey, ...table.uniques.map((u) => u.columns)].filter((key) =>
    key.every((c) => references.has(c)),
  );
  let count = Math.min(SAMPLE_ROWS, context.rows);
  for (const key of keys) count = Math.min(count, key.map(referencedCount).reduce(lcm, 1));
  if (count === 0) return 0;

  const sources: string[] = [];
  const written: string[] = [];
  const values: string[] = [];
  for (const [n, column] of columns.entries()) {
    if (column.automatic) continue;
    const reference = references.get(column.column);
    let value: string;
    if (reference && reference.table === table.name) {
      value = '(i + 1) / 2'; // an earlier row of its own table (ids are 1, 2, … on a fresh table)
    } else if (reference) {
      const available = referencedCount(column.column);
      if (available === 0) {
        if (column.notNull)
          throw new Error(`${table.name}.${column.column} references ${reference.table}, which has no sample rows`);
        value = 'NULL';
      } else {
        const alias = `r${n}`;
        sources.push(
          `(SELECT array_agg(id ORDER BY id) AS ids FROM ${qualified(schema, reference.table)}) AS ${alias}`,
        );
        value = `${alias}.ids[1 + (i * ${scatterPrime(available, n)}) % ${available}]`;
      }
    } else {
      value = sampleValue(column, context.anchor, count);
    }
    if (!column.notNull && value !== 'NULL') value = `CASE WHEN i % ${NULL_EVERY} = 0 THEN NULL ELSE ${value} END`;
    written.push(quoteIdent(column.column));
    values.push(value);
  }
  const sql = `INSERT INTO ${qualified(schema, table.name)} (${written.join(', ')}) SELECT ${values.join(', ')} FROM ${['generate_series(1, $1::int) AS g(i)', ...sources].join(', ')}`;
  await client.query(sql, [count]);
  return count;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : Math.min(SAMPLE_ROWS, (a / gcd(a, b)) * b));
const scatterPrime = (count: number, salt: number): number => {
  const usable = SCATTER_PRIMES.filter((p) => count % p !== 0);
  return usable[salt % usable.length]!;
};

/** A value of the column's type for row `i`: distinct for most types, cycling for enums and booleans. */
function sampleValue(column: ColumnInfo, anchor: string, count: number): string {
  const time = (offset: string) =>
    `${anchor} - interval '${TIME_SPREAD_DAYS} days' + (${offset}) * (interval '${2 * TIME_SPREAD_DAYS} days' / ${count})`;
  const byType: Record<string, string> = {
    uuid: 'md5(i::text)::uuid',
    json: `json_build_object('n', i)`,
    jsonb: `jsonb_build_object('n', i)`,
    bytea: "decode(md5(i::text), 'hex')",
    inet: "'10.0.0.0'::inet + i",
    cidr: "'10.0.0.0'::inet + i",
    macaddr: "lpad(to_hex(i), 12, '0')::macaddr",
    tsvector: "to_tsvector('simple', 'word' || i)",
    int4range: 'int4range(i, i + 10)',
    int8range: 'int8range(i, i + 10)',
    numrange: 'numrange(i, i + 10)',
    daterange: `daterange((${time('i - 1')})::date, (${time('i - 1')})::date + 7)`,
    tstzrange: `tstzrange(${time('i - 1')}, ${time('i')})`,
  };
  const byCategory: Record<string, string> = {
    // numeric(p, s) holds p - s digits before the point
    N: column.integerDigits !== null && column.integerDigits < 4 ? `i % ${10 ** column.integerDigits}` : 'i',
    S: column.maxLength !== null ? `left(md5(i::text), ${column.maxLength})` : 'md5(i::text)',
    B: 'i % 2 = 0',
    D: time('i - 1'),
    T: "i * interval '1 minute'",
    A: "'{}'",
  };
  if (column.enum)
    return `(enum_range(NULL::${column.type}))[1 + i % array_length(enum_range(NULL::${column.type}), 1)]`;
  const value = byType[column.base] ?? byCategory[column.category];
  // Every type a spec accepts has a value above (the spec test writes each); a new one needs its own.
  if (value === undefined)
    throw new Error(`no sample value for ${column.table}.${column.column} of type ${column.type}`);
  return `(${value})::${column.type}`;
}

/**
 * A reference column holds at most as many distinct values as the referenced table has rows, which
 * the sample cannot show: its distinct count is set to that (per partition for a partitioned table,
 * where ANALYZE reads each partition on its own). A reference that is unique by itself is left to
 * ANALYZE, which sees every value distinct.
 */
async function setReferenceDistinctCounts(
  client: Client,
  schema: string,
  table: PlannedTable,
  scale: number,
  rowsOf: (table: string) => number,
): Promise<void> {
  const alone = new Set(
    [table.primaryKey, ...table.uniques.map((u) => u.columns)].filter((key) => key.length === 1).map((key) => key[0]!),
  );
  const references = table.foreignKeys.filter((fk) => !alone.has(fk.column) && rowsOf(fk.table) > 0);
  if (references.length === 0) return;
  const name = qualified(schema, table.name);
  // tableoid names the partition each row landed in (the table itself when it has none).
  const parts = (
    await client.query<{ part: string; rows: number }>(
      `SELECT tableoid::regclass::text AS part, count(*)::int AS rows FROM ${name} GROUP BY 1`,
    )
  ).rows;
  const partitioned =
    (await client.query<{ kind: string }>('SELECT relkind AS kind FROM pg_class WHERE oid = $1::regclass', [name]))
      .rows[0]!.kind === 'p';
  const total = parts.reduce((sum, p) => sum + p.rows, 0);
  for (const fk of references) {
    const column = quoteIdent(fk.column);
    const distinctIn = (rows: number) => Math.max(1, Math.round(Math.min(rowsOf(fk.table), rows * scale)));
    if (partitioned)
      await client.query(
        `ALTER TABLE ${name} ALTER COLUMN ${column} SET (n_distinct_inherited = ${distinctIn(total)})`,
      );
    for (const part of parts)
      await client.query(`ALTER TABLE ${part.part} ALTER COLUMN ${column} SET (n_distinct = ${distinctIn(part.rows)})`);
  }
}

/** Every table, partition and index of `table` (after ANALYZE) is told `scale` times the rows it holds. */
async function scaleRowCounts(client: Client, table: string, scale: number, method: RowCountMethod): Promise<void> {
  const { rows } = await client.query<{ oid: string; schema: string; name: string; reltuples: number }>(
    `WITH tree AS (SELECT $1::regclass AS relid UNION SELECT relid FROM pg_partition_tree($1::regclass))
     SELECT c.oid, n.nspname AS schema, c.relname AS name, c.reltuples
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'i') AND c.reltuples > 0
        AND (c.oid IN (SELECT relid FROM tree) OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN (SELECT relid FROM tree)))`,
    [table],
  );
  for (const relation of rows) {
    const reltuples = Math.round(relation.reltuples * scale);
    if (method === 'pg_class') {
      await client.query('UPDATE pg_catalog.pg_class SET reltuples = $2 WHERE oid = $1', [relation.oid, reltuples]);
      continue;
    }
    const restored = await client.query<{ ok: boolean }>(
      `SELECT pg_restore_relation_stats('schemaname', $1::text, 'relname', $2::text, 'reltuples', $3::real) AS ok`,
      [relation.schema, relation.name, reltuples],
    );
    if (!restored.rows[0]!.ok)
      throw new Error(`PostgreSQL refused the row count of ${relation.name} (see its warnings)`);
  }
}
