import type { ClientBase, QueryResult } from 'pg';
import { quoteIdent } from '../names';
import type {
  Catalog,
  Column,
  Constraint,
  ConstraintKind,
  Index,
  Policy,
  Sequence,
  Statement,
  Table,
  Trigger,
  View,
} from './catalog';

export interface IntrospectOptions {
  /** How many pg_stat_statements entries to keep (by total time); 0 skips them. */
  statements?: number;
  /**
   * false: sizes, table and index statistics and sequence values are not read and read as zero or
   * none; enough for a fingerprint, which leaves them out, and they cost the most to read.
   */
  statistics?: boolean;
}

/** System schemas, and ours: the apply runner keeps its history in `schemawright`. */
const EXCLUDED_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'schemawright')
  AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'`;

/** Objects an extension created belong to the extension, not to the schema we analyse. */
const notExtensionMember = (catalog: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;

const relations = (statistics: boolean) => `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.relpersistence AS persistence,
       c.relrowsecurity AS row_security, c.relforcerowsecurity AS force_row_security,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i
            JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid) END AS parent,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS view_definition,
       obj_description(c.oid, 'pg_class') AS comment,
       c.reltuples::float8 AS reltuples,
       CASE WHEN ${statistics} THEN pg_table_size(c.oid) END::int8 AS table_bytes,
       CASE WHEN ${statistics} THEN pg_total_relation_size(c.oid) END::int8 AS total_bytes,
       coalesce(s.n_live_tup, 0)::int8 AS live, coalesce(s.n_dead_tup, 0)::int8 AS dead,
       coalesce(s.seq_scan, 0)::int8 AS seq_scan, coalesce(s.seq_tup_read, 0)::int8 AS seq_tup_read,
       coalesce(s.idx_scan, 0)::int8 AS idx_scan, greatest(s.last_analyze, s.last_autoanalyze) AS last_analyzed
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid AND ${statistics}
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND ${EXCLUDED_SCHEMAS} AND ${notExtensionMember('pg_class', 'c.oid')}`;

const COLUMNS = `
SELECT a.attrelid::int8 AS rel, a.attnum AS num, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE format_type(a.atttypid, a.atttypmod) END AS base_type,
       NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS "default", a.attidentity AS identity, a.attgenerated AS generated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END AS collation,
       (SELECT json_object_agg(l.provider, l.label) FROM pg_seclabel l
         WHERE l.classoid = 'pg_class'::regclass AND l.objoid = a.attrelid AND l.objsubid = a.attnum) AS labels
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND ${EXCLUDED_SCHEMAS}
ORDER BY a.attrelid, a.attnum`;

// contype 'n' (PG18 not-null constraints) is already `nullable`; 't' is a constraint trigger, listed with triggers.
const CONSTRAINTS = `
SELECT co.conrelid::int8 AS rel, co.conname AS name, co.contype AS kind, co.conkey AS columns,
       pg_get_constraintdef(co.oid) AS definition, co.convalidated AS validated, co.condeferrable AS deferrable,
       co.conparentid <> 0 AS inherited,
       CASE WHEN co.contype = 'f' THEN (SELECT fn.nspname || '.' || fc.relname FROM pg_class fc JOIN pg_namespace fn ON fn.oid = fc.relnamespace WHERE fc.oid = co.confrelid) END AS ref_table,
       co.confrelid::int8 AS ref_rel, co.confkey AS ref_columns
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE co.contype IN ('p', 'f', 'u', 'c', 'x') AND ${EXCLUDED_SCHEMAS}`;

// Each key gets what sets it apart from a plain one: a collation other than the column's, a non-default
// operator class, and the order (indoption bit 1 is DESC, bit 2 NULLS FIRST) where it differs from the default.
// indnullsnotdistinct is PostgreSQL 15+: read through the row's JSON, so one text serves every version.
const indexes = (statistics: boolean) => `
SELECT i.indrelid::int8 AS rel, ic.relname AS name, am.amname AS method, i.indisunique AS unique, i.indisprimary AS primary,
       i.indisvalid AND i.indisready AS valid, i.indnkeyatts AS key_count,
       coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false) AS nulls_not_distinct,
       pg_get_expr(i.indpred, i.indrelid) AS predicate, pg_get_indexdef(i.indexrelid) AS definition,
       (SELECT co.conname FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')) AS constraint,
       (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits ih JOIN pg_class pc ON pc.oid = ih.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE ih.inhrelid = i.indexrelid) AS parent_index,
       array(SELECT pg_get_indexdef(i.indexrelid, k.n::int, true)
                    || CASE WHEN k.n <= i.indnkeyatts AND coalesce(i.indcollation[k.n - 1], 0) NOT IN (0, coalesce(ka.attcollation, 100))
                            THEN ' COLLATE ' || quote_ident(kcn.nspname) || '.' || quote_ident(kc.collname) ELSE '' END
                    || CASE WHEN k.n <= i.indnkeyatts AND NOT oc.opcdefault THEN ' ' || oc.opcname ELSE '' END
                    || CASE WHEN k.n > i.indnkeyatts OR am.amname <> 'btree' THEN ''
                            WHEN (opt.o & 1) = 1 THEN ' DESC' || CASE WHEN (opt.o & 2) = 0 THEN ' NULLS LAST' ELSE '' END
                            WHEN (opt.o & 2) = 2 THEN ' NULLS FIRST' ELSE '' END
             FROM generate_series(1, i.indnatts) AS k(n)
             LEFT JOIN pg_opclass oc ON oc.oid = i.indclass[k.n - 1]
             LEFT JOIN pg_attribute ka ON ka.attrelid = i.indrelid AND ka.attnum = i.indkey[k.n - 1]
             LEFT JOIN pg_collation kc ON kc.oid = i.indcollation[k.n - 1]
             LEFT JOIN pg_namespace kcn ON kcn.oid = kc.collnamespace
             CROSS JOIN LATERAL (SELECT coalesce(i.indoption[k.n - 1], 0)::int AS o) opt
             ORDER BY k.n) AS columns,
       array(SELECT i.indkey[k.n - 1] <> 0 FROM generate_series(1, i.indnkeyatts) AS k(n) ORDER BY k.n) AS key_is_column,
       CASE WHEN ${statistics} THEN pg_relation_size(i.indexrelid) END::int8 AS bytes,
       coalesce(s.idx_scan, 0)::int8 AS scans, coalesce(s.idx_tup_read, 0)::int8 AS tuples_read
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid AND ${statistics}
WHERE c.relkind IN ('r', 'p', 'm') AND ${EXCLUDED_SCHEMAS}`;

const TRIGGERS = `
SELECT t.tgrelid::int8 AS rel, t.tgname AS name, pn.nspname || '.' || p.proname AS function, t.tgenabled AS enabled,
       t.tgparentid <> 0 AS inherited, pg_get_triggerdef(t.oid) AS definition
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND ${EXCLUDED_SCHEMAS}`;

const POLICIES = `
SELECT p.polrelid::int8 AS rel, p.polname AS name, p.polcmd AS command, p.polpermissive AS permissive,
       array(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END FROM unnest(p.polroles) AS r ORDER BY 1) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS check
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE ${EXCLUDED_SCHEMAS}`;

// pg_sequences shows last_value as null to roles without USAGE or SELECT, which reads as "never used".
const sequences = (statistics: boolean) => `
SELECT s.schemaname AS schema, s.sequencename AS name, format_type(s.data_type, NULL) AS type,
       s.start_value::text AS start, s.increment_by::text AS increment, s.min_value::text AS min, s.max_value::text AS max,
       s.cycle, CASE WHEN ${statistics} THEN s.last_value END::float8 AS last_value,
       (SELECT tn.nspname || '.' || tc.relname || '.' || ta.attname || '|' || d.deptype::text || '|' || format_type(ta.atttypid, NULL)
          FROM pg_depend d JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
          JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
         LIMIT 1) AS owner
FROM pg_sequences s
JOIN pg_namespace n ON n.nspname = s.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
WHERE ${EXCLUDED_SCHEMAS} AND ${notExtensionMember('pg_class', 'c.oid')}`;

const SCHEMAS = `SELECT n.nspname AS name FROM pg_namespace n WHERE ${EXCLUDED_SCHEMAS} AND ${notExtensionMember('pg_namespace', 'n.oid')}`;

const EXTENSIONS = `SELECT x.extname AS name, x.extversion AS version, n.nspname AS schema FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace`;

const ENUMS = `
SELECT n.nspname AS schema, t.typname AS name, array(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS values
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND ${EXCLUDED_SCHEMAS} AND ${notExtensionMember('pg_type', 't.oid')}`;

/**
 * Every type a column, cast or domain can name: enums, domains, composites, ranges, base types,
 * extensions' ones included (they are usable wherever the extension is installed). Not arrays, which
 * are written as their element with []; not tables' and views' row types, which the tables list holds.
 */
const TYPES = `
SELECT n.nspname AS schema, t.typname AS name
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE ${EXCLUDED_SCHEMAS} AND t.typcategory <> 'A'
  AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')`;

const META = `
SELECT current_database() AS database, current_setting('server_version') AS version, current_setting('server_version_num')::int AS version_num,
       now() AS now, pg_postmaster_start_time() AS started,
       (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()) AS stats_reset`;

const TYPE_MAX: Record<string, number> = { smallint: 32767, integer: 2147483647, bigint: 9223372036854775807 };

/**
 * The catalog queries as one text, sent in one round trip (the simple protocol runs it as one
 * transaction). With an empty search_path every name the catalog prints is schema-qualified, so the
 * result (and the fingerprint) does not depend on the caller's search_path: the caller's is kept in a
 * setting of ours and put back by the last statement; a failure rolls the text back, search_path too.
 */
const catalog = (statistics: boolean) =>
  [
    `SELECT set_config('schemawright.search_path', current_setting('search_path'), false)`,
    `SELECT set_config('search_path', '', false)`,
    META,
    relations(statistics),
    COLUMNS,
    CONSTRAINTS,
    indexes(statistics),
    TRIGGERS,
    POLICIES,
    sequences(statistics),
    SCHEMAS,
    EXTENSIONS,
    ENUMS,
    TYPES,
    `SELECT set_config('search_path', current_setting('schemawright.search_path'), false)`,
  ].join(';\n');
const CATALOG = { withStatistics: catalog(true), structureOnly: catalog(false) };

/**
 * Reads the structure and the statistics of every user schema with a dozen plain catalog queries.
 * Not a library: none of those we compared reads statistics, sizes or sequence values, and
 * @pgkit/schemainspect alone took about 550 ms of our one-second budget on MusicBrainz (we take ~150).
 */
export async function introspect(client: ClientBase, options: IntrospectOptions = {}): Promise<Catalog> {
  // A round trip per query was most of a drift check's time on a small schema: one for them all.
  const text = options.statistics === false ? CATALOG.structureOnly : CATALOG.withStatistics;
  const results = (await client.query(text)) as unknown as QueryResult[];
  // In CATALOG's order, after the two statements that clear the search_path.
  let next = 2;
  const q = <T>() => results[next++]!.rows as T[];
  const meta = q<MetaRow>()[0]!;
  const relationRows = q<RelationRow>();
  const columns = q<ColumnRow>();
  const constraints = q<ConstraintRow>();
  const indexRows = q<IndexRow>();
  const triggers = q<TriggerRow>();
  const policies = q<PolicyRow>();
  const sequenceRows = q<SequenceRow>();
  const schemas = q<{ name: string }>();
  const extensions = q<{ name: string; version: string; schema: string }>();
  const enums = q<{ schema: string; name: string; values: string[] }>();
  const types = q<{ schema: string; name: string }>();
  const statements = await readStatements(client, extensions, options.statements ?? 50);

  const columnsByRel = groupBy(columns, (c) => c.rel);
  const columnName = (rel: string, num: number) => columnsByRel.get(rel)?.find((c) => c.num === num)?.name ?? `#${num}`;
  // `serial`, and dumps of it, leave a nextval() default; pg_dump does not always keep OWNED BY.
  const feeds = new Map<string, { column: string; type: string }>();
  const serialSequenceOf = (rel: RelationRow, c: ColumnRow): string | null => {
    const match = c.default && c.identity === '' ? /^nextval\('(.+)'::regclass\)$/.exec(c.default) : null;
    if (!match) return null;
    // The search_path is empty while we read, so the regclass is always written schema-qualified.
    const sequence = match[1]!.replace(/''/g, "'").replace(/"/g, '');
    // Several columns may call it (a partitioned table's partitions): the first by name, not by
    // creation order, so a copy made in another order reads the same.
    const column = `${rel.schema}.${rel.name}.${c.name}`;
    if (!feeds.has(sequence) || column < feeds.get(sequence)!.column) feeds.set(sequence, { column, type: c.type });
    return sequence;
  };

  const toColumn =
    (rel: RelationRow) =>
    (c: ColumnRow): Column => ({
      name: c.name,
      type: c.type,
      baseType: c.base_type,
      nullable: c.nullable,
      default: c.default,
      identity: c.identity === 'a' ? 'always' : c.identity === 'd' ? 'by default' : null,
      generated: c.generated === 's' ? 'stored' : c.generated === 'v' ? 'virtual' : null,
      serialSequence: serialSequenceOf(rel, c),
      collation: c.collation,
      securityLabels: sortKeys(c.labels ?? {}),
    });
  const toIndex = (row: IndexRow): Index => ({
    name: row.name,
    method: row.method,
    unique: row.unique,
    primary: row.primary,
    valid: row.valid,
    keys: row.columns.slice(0, row.key_count),
    keyIsColumn: row.key_is_column,
    include: row.columns.slice(row.key_count),
    predicate: row.predicate,
    nullsNotDistinct: row.nulls_not_distinct,
    constraint: row.constraint,
    parentIndex: row.parent_index,
    definition: row.definition,
    stats: { bytes: Number(row.bytes), scans: Number(row.scans), tuplesRead: Number(row.tuples_read) },
  });
  const toConstraint = (row: ConstraintRow): Constraint => ({
    name: row.name,
    kind: CONSTRAINT_KINDS[row.kind]!,
    columns: (row.columns ?? []).map((num) => columnName(row.rel, num)),
    definition: row.definition,
    references: row.ref_table
      ? { table: row.ref_table, columns: (row.ref_columns ?? []).map((num) => columnName(row.ref_rel, num)) }
      : null,
    validated: row.validated,
    deferrable: row.deferrable,
    inherited: row.inherited,
  });
  const toTrigger = (row: TriggerRow): Trigger => ({
    name: row.name,
    function: row.function,
    enabled: row.enabled,
    inherited: row.inherited,
    definition: row.definition,
  });
  const toPolicy = (row: PolicyRow): Policy => ({
    name: row.name,
    command: POLICY_COMMANDS[row.command] ?? row.command,
    permissive: row.permissive,
    roles: row.roles,
    using: row.using,
    check: row.check,
  });

  const indexesByRel = groupBy(indexRows, (r) => r.rel);
  const constraintsByRel = groupBy(constraints, (r) => r.rel);
  const triggersByRel = groupBy(triggers, (r) => r.rel);
  const policiesByRel = groupBy(policies, (r) => r.rel);
  const tables: Table[] = [];
  const views: View[] = [];
  for (const rel of relationRows) {
    const relColumns = (columnsByRel.get(rel.oid) ?? []).map(toColumn(rel));
    const relIndexes = byName((indexesByRel.get(rel.oid) ?? []).map(toIndex));
    const rowEstimate = rel.reltuples < 0 ? null : rel.reltuples;
    if (rel.kind === 'v' || rel.kind === 'm') {
      views.push({
        schema: rel.schema,
        name: rel.name,
        materialized: rel.kind === 'm',
        definition: rel.view_definition ?? '',
        columns: relColumns,
        indexes: relIndexes,
        stats: { rowEstimate: rel.kind === 'm' ? rowEstimate : null, totalBytes: Number(rel.total_bytes) },
      });
      continue;
    }
    tables.push({
      schema: rel.schema,
      name: rel.name,
      kind: rel.kind === 'p' ? 'partitioned' : rel.kind === 'f' ? 'foreign' : 'table',
      persistence: rel.persistence === 'u' ? 'unlogged' : 'permanent',
      columns: relColumns,
      constraints: byName((constraintsByRel.get(rel.oid) ?? []).map(toConstraint)),
      indexes: relIndexes,
      triggers: byName((triggersByRel.get(rel.oid) ?? []).map(toTrigger)),
      policies: byName((policiesByRel.get(rel.oid) ?? []).map(toPolicy)),
      rowSecurity: rel.row_security,
      forceRowSecurity: rel.force_row_security,
      partitioning: rel.partition_key ? parsePartitionKey(rel.partition_key) : null,
      partitionOf: rel.parent ? { parent: rel.parent, bound: rel.bound ?? '' } : null,
      comment: rel.comment,
      stats: {
        rowEstimate,
        liveTuples: Number(rel.live),
        deadTuples: Number(rel.dead),
        tableBytes: Number(rel.table_bytes),
        totalBytes: Number(rel.total_bytes),
        seqScans: Number(rel.seq_scan),
        seqTuplesRead: Number(rel.seq_tup_read),
        idxScans: Number(rel.idx_scan),
        lastAnalyzedAt: iso(rel.last_analyzed),
      },
    });
  }

  return {
    meta: {
      database: meta.database,
      serverVersion: meta.version,
      serverVersionNum: meta.version_num,
      introspectedAt: iso(meta.now)!,
    },
    schemas: schemas.map((s) => s.name).sort(compare),
    extensions: byName(extensions),
    enums: byQualifiedName(enums),
    types: byQualifiedName(types),
    tables: byQualifiedName(tables),
    views: byQualifiedName(views),
    sequences: byQualifiedName(sequenceRows.map((row) => toSequence(row, feeds))),
    stats: { statsResetAt: iso(meta.stats_reset), serverStartedAt: iso(meta.started)!, statements },
  };
}

function toSequence(row: SequenceRow, feeds: Map<string, { column: string; type: string }>): Sequence {
  const [owner, deptype, ownerType] = row.owner ? row.owner.split('|') : [];
  const fed = feeds.get(`${row.schema}.${row.name}`);
  const ownedBy = owner ?? fed?.column;
  const columnType = ownerType ?? fed?.type;
  const increment = Number(row.increment);
  const [min, max] = [Number(row.min), Number(row.max)];
  // A bigint sequence feeding an integer column overflows at the column's maximum, not its own.
  const typeMax = TYPE_MAX[columnType ?? ''] ?? Infinity;
  const limit = increment > 0 ? Math.min(max, typeMax) : Math.max(min, -typeMax - 1);
  const last = row.last_value;
  const used = last === null ? 0 : increment > 0 ? last - Number(row.start) : Number(row.start) - last;
  const range = increment > 0 ? limit - Number(row.start) : Number(row.start) - limit;
  return {
    schema: row.schema,
    name: row.name,
    type: row.type,
    start: row.start,
    increment: row.increment,
    min: row.min,
    max: row.max,
    cycle: row.cycle,
    ownedBy: ownedBy ?? null,
    ownership: deptype === 'i' ? 'identity' : deptype === 'a' || fed ? 'serial' : null,
    stats: { lastValue: last, limit, headroom: range > 0 ? Math.max(0, 1 - used / range) : 0 },
  };
}

async function readStatements(
  client: ClientBase,
  extensions: { name: string; schema: string }[],
  limit: number,
): Promise<Statement[] | null> {
  const extension = extensions.find((x) => x.name === 'pg_stat_statements');
  if (limit <= 0 || !extension) return null;
  // The view raises unless the library is preloaded; asking first keeps a caller's transaction usable.
  const preload = await client.query<{ loaded: boolean }>(
    `SELECT 'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) AS loaded`,
  );
  if (!preload.rows[0]!.loaded) return null;
  const { rows } = await client.query<{ query: string; calls: string; total: number; mean: number; rows: string }>(
    `SELECT s.query, s.calls::int8 AS calls, s.total_exec_time AS total, s.mean_exec_time AS mean, s.rows::int8 AS rows
     FROM ${quoteIdent(extension.schema)}.pg_stat_statements s
     WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY s.total_exec_time DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    query: r.query,
    calls: Number(r.calls),
    totalMs: r.total,
    meanMs: r.mean,
    rows: Number(r.rows),
  }));
}

function parsePartitionKey(key: string): { strategy: 'range' | 'list' | 'hash'; key: string } {
  const match = /^(RANGE|LIST|HASH)\s*\((.*)\)$/is.exec(key);
  return { strategy: (match?.[1]?.toLowerCase() ?? 'range') as 'range' | 'list' | 'hash', key: match?.[2] ?? key };
}

const CONSTRAINT_KINDS: Record<string, ConstraintKind> = {
  p: 'primary key',
  f: 'foreign key',
  u: 'unique',
  c: 'check',
  x: 'exclusion',
};
const POLICY_COMMANDS: Record<string, string> = { '*': 'ALL', r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE' };

/** Code-point order: the same on every machine, unlike the database's or the locale's collation. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
function byName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => compare(a.name, b.name));
}
function byQualifiedName<T extends { schema: string; name: string }>(items: T[]): T[] {
  return items.sort((a, b) => compare(a.schema, b.schema) || compare(a.name, b.name));
}
function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compare(a, b)));
}
function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
function iso(value: Date | null): string | null {
  return value ? value.toISOString() : null;
}

// pg returns int8 as string; oids are cast to int8 so they key maps as strings.
interface MetaRow {
  database: string;
  version: string;
  version_num: number;
  now: Date;
  started: Date;
  stats_reset: Date | null;
}
interface RelationRow {
  oid: string;
  schema: string;
  name: string;
  kind: string;
  persistence: string;
  row_security: boolean;
  force_row_security: boolean;
  partition_key: string | null;
  parent: string | null;
  bound: string | null;
  view_definition: string | null;
  comment: string | null;
  reltuples: number;
  table_bytes: string;
  total_bytes: string;
  live: string;
  dead: string;
  seq_scan: string;
  seq_tup_read: string;
  idx_scan: string;
  last_analyzed: Date | null;
}
interface ColumnRow {
  rel: string;
  num: number;
  name: string;
  type: string;
  base_type: string;
  nullable: boolean;
  default: string | null;
  identity: string;
  generated: string;
  collation: string | null;
  labels: Record<string, string> | null;
}
interface ConstraintRow {
  rel: string;
  name: string;
  kind: string;
  columns: number[] | null;
  definition: string;
  validated: boolean;
  deferrable: boolean;
  inherited: boolean;
  ref_table: string | null;
  ref_rel: string;
  ref_columns: number[] | null;
}
interface IndexRow {
  rel: string;
  name: string;
  method: string;
  unique: boolean;
  primary: boolean;
  valid: boolean;
  key_count: number;
  nulls_not_distinct: boolean;
  predicate: string | null;
  definition: string;
  constraint: string | null;
  parent_index: string | null;
  columns: string[];
  key_is_column: boolean[];
  bytes: string;
  scans: string;
  tuples_read: string;
}
interface TriggerRow {
  rel: string;
  name: string;
  function: string;
  enabled: string;
  inherited: boolean;
  definition: string;
}
interface PolicyRow {
  rel: string;
  name: string;
  command: string;
  permissive: boolean;
  roles: string[];
  using: string | null;
  check: string | null;
}
interface SequenceRow {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cycle: boolean;
  last_value: number | null;
  owner: string | null;
}
