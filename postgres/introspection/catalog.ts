/**
 * What introspection knows about a live database, as plain JSON (it travels through Temporal and
 * lands in the store). Everything that changes without DDL (row counts, sizes, scan counters,
 * sequence values, the time) lives under a `stats` key or in `meta`, so the fingerprint can leave
 * it out by name. Lists are sorted by name so two introspections of one schema are equal.
 */
export interface Catalog {
  meta: CatalogMeta;
  schemas: string[];
  extensions: Extension[];
  enums: EnumType[];
  /** Every type outside pg_catalog that a column or cast can name (catalogs read before it was added lack it). */
  types?: TypeName[];
  tables: Table[];
  views: View[];
  sequences: Sequence[];
  stats: CatalogStats;
}

export interface CatalogMeta {
  database: string;
  /** `server_version`, e.g. "18.4". */
  serverVersion: string;
  serverVersionNum: number;
  introspectedAt: string;
}

export interface CatalogStats {
  /** When the usage counters were last reset; null when never (they then run since the cluster was created). */
  statsResetAt: string | null;
  /** When the server started: counters are at least this old when never reset. */
  serverStartedAt: string;
  /** Top statements from pg_stat_statements by total time, or null when the extension is not installed or not loaded. */
  statements: Statement[] | null;
}

export interface Statement {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
}

export interface Extension {
  name: string;
  version: string;
  schema: string;
}

export interface EnumType {
  schema: string;
  name: string;
  values: string[];
}

export interface TypeName {
  schema: string;
  name: string;
}

export interface Column {
  name: string;
  /** As `format_type` prints it: `integer`, `character varying(40)`, `timestamp without time zone`. */
  type: string;
  /** For a domain, the type underneath it; otherwise equal to `type`. */
  baseType: string;
  nullable: boolean;
  default: string | null;
  identity: 'always' | 'by default' | null;
  generated: 'stored' | 'virtual' | null;
  /** `schema.sequence` when a `serial`-style sequence (OWNED BY, default nextval) feeds this column. */
  serialSequence: string | null;
  collation: string | null;
  /** Security labels (e.g. the `anon` extension's MASKED WITH ...), provider → label. */
  securityLabels: Record<string, string>;
}

export type ConstraintKind = 'primary key' | 'foreign key' | 'unique' | 'check' | 'exclusion';

export interface Constraint {
  name: string;
  kind: ConstraintKind;
  columns: string[];
  /** `pg_get_constraintdef`, e.g. `FOREIGN KEY (a) REFERENCES s.t(id) ON DELETE CASCADE`. */
  definition: string;
  /** Foreign keys: the referenced table (`schema.table`) and columns. */
  references: { table: string; columns: string[] } | null;
  validated: boolean;
  deferrable: boolean;
  /** Set when the constraint is inherited from a partitioned parent. */
  inherited: boolean;
}

export interface Index {
  name: string;
  method: string;
  unique: boolean;
  primary: boolean;
  /** False after a failed CREATE INDEX CONCURRENTLY: it costs writes and serves no query. */
  valid: boolean;
  /** Key columns or expressions, each with a non-default collation, operator class, DESC and NULLS order appended. */
  keys: string[];
  /** True per key when it is a plain column (false for an expression). */
  keyIsColumn: boolean[];
  include: string[];
  predicate: string | null;
  nullsNotDistinct: boolean;
  /** The constraint this index backs (primary key, unique, exclusion), if any. */
  constraint: string | null;
  /** On a partition: the partitioned table's index (`schema.index`) this one is attached to. */
  parentIndex: string | null;
  definition: string;
  /** On a partitioned table the index itself is never scanned; its partitions' indexes are. */
  stats: IndexStats;
}

export interface IndexStats {
  bytes: number;
  scans: number;
  tuplesRead: number;
}

export interface Trigger {
  name: string;
  function: string;
  /** `O` origin, `D` disabled, `R` replica, `A` always. */
  enabled: string;
  inherited: boolean;
  definition: string;
}

export interface Policy {
  name: string;
  command: string;
  permissive: boolean;
  roles: string[];
  using: string | null;
  check: string | null;
}

export interface Table {
  schema: string;
  name: string;
  kind: 'table' | 'partitioned' | 'foreign';
  persistence: 'permanent' | 'unlogged';
  columns: Column[];
  constraints: Constraint[];
  indexes: Index[];
  triggers: Trigger[];
  policies: Policy[];
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  /** For a partitioned table: `range`, `list` or `hash` and the key, as `pg_get_partkeydef` prints them. */
  partitioning: { strategy: 'range' | 'list' | 'hash'; key: string } | null;
  /** For a partition: its parent (`schema.table`) and bound. */
  partitionOf: { parent: string; bound: string } | null;
  comment: string | null;
  stats: TableStats;
}

export interface TableStats {
  /** `reltuples`; null when never vacuumed or analysed. */
  rowEstimate: number | null;
  liveTuples: number;
  deadTuples: number;
  tableBytes: number;
  totalBytes: number;
  seqScans: number;
  seqTuplesRead: number;
  idxScans: number;
  lastAnalyzedAt: string | null;
}

export interface View {
  schema: string;
  name: string;
  materialized: boolean;
  definition: string;
  columns: Column[];
  indexes: Index[];
  stats: { rowEstimate: number | null; totalBytes: number };
}

export interface Sequence {
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cycle: boolean;
  /** `schema.table.column` the sequence belongs to (serial or identity), if any. */
  ownedBy: string | null;
  ownership: 'serial' | 'identity' | null;
  stats: SequenceStats;
}

export interface SequenceStats {
  /** null before the first nextval(). Approximate above 2^53. */
  lastValue: number | null;
  /** The largest value the sequence may hand out before it or the column it feeds overflows. */
  limit: number;
  /** Share of the range still free: 1 = untouched, 0 = exhausted. */
  headroom: number;
}

/** `schema.name`, the way every finding and diff names a relation. */
export function qualifiedName(relation: { schema: string; name: string }): string {
  return `${relation.schema}.${relation.name}`;
}
