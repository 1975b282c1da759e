import type { Finding } from '../../artifacts/findings';

/**
 * What modeling proposes for a spec: the schema as plain data (tables, indexes, partitions,
 * policies), the DDL that creates it, its ERD, and the findings that explain and question it.
 * Plain JSON, so the modeling activity can store it as an artifact.
 */
export interface DesignModel {
  name: string;
  schema: string;
  postgres: number;
  enums: PlannedEnum[];
  tables: PlannedTable[];
  indexes: PlannedIndex[];
  partitions: PartitionPlan[];
  /** Tables past the partitioning threshold left unpartitioned: every partitioned option would probe more partitions per hot read. */
  unpartitioned: { table: string; reason: string; options: PartitionOption[] }[];
  policies: RowSecurityPolicy[];
  /** Planned indexes left out because EXPLAIN at the spec's volumes reads none of them (after verification). */
  droppedIndexes: { name: string; table: string; reason: string }[];
  /** How each access pattern reads the tables: what the index plan was derived from. */
  patterns: PatternShape[];
  /** Each access pattern's SQL by name, for EXPLAIN on the designed schema. */
  patternSql: Record<string, string>;
  /** The whole desired schema, runnable on an empty database. */
  ddl: string;
  /** Mermaid erDiagram of the proposed schema. */
  erd: string;
  findings: Finding[];
}

export interface PlannedEnum {
  name: string;
  values: string[];
}

export interface PlannedColumn {
  name: string;
  type: string;
  nullable: boolean;
  default?: string;
  identity: boolean;
  pii: boolean;
}

export interface PlannedForeignKey {
  name: string;
  column: string;
  table: string;
  onDelete: string;
  /**
   * With a tenant key: the reference is `(tenant column, column) REFERENCES table (its tenant column, id)`,
   * so a row can only point at a row of its own tenant.
   */
  tenant?: { column: string; referenced: string };
}

export interface PlannedTable {
  name: string;
  /** The spec's entity, or null for a join table. */
  entity: string | null;
  /** Rows expected now: the entity's volume, or for a join table its first side's; null when the spec does not say. */
  rows: number | null;
  columns: PlannedColumn[];
  primaryKey: string[];
  foreignKeys: PlannedForeignKey[];
  uniques: { name: string; columns: string[] }[];
  checks: { name: string; expression: string }[];
  /** Before PostgreSQL 17 a partitioned table cannot have an identity column: its key defaults to this sequence instead. */
  keySequence?: string;
}

export interface IndexKey {
  column: string;
  descending: boolean;
}

/** key: the index behind a primary key or unique constraint (created by it, listed so patterns can point at it). */
export type IndexOrigin = 'access-pattern' | 'foreign-key' | 'key';

export interface PlannedIndex {
  name: string;
  table: string;
  keys: IndexKey[];
  include: string[];
  /** A partial index's predicate, as SQL. */
  where: string | null;
  origin: IndexOrigin;
  /** Why it exists and why its columns are in this order. */
  rationale: string;
  /** Names of the access patterns it serves. */
  patterns: string[];
}

export interface PartitionPlan {
  table: string;
  strategy: 'range' | 'hash';
  /** The partition key column. */
  key: string;
  rows: number;
  growthPerDay: number;
  /** Rows after the horizon (a year) at the spec's growth. */
  projectedRows: number;
  /** range: `month` or `day`; hash: the modulus as a string. */
  interval: string;
  partitions: { name: string; bound: string }[];
  reason: string;
  /** How partitions are created ahead of time and old ones dropped, or that the design does not automate it. */
  maintenance: string;
  /** Every option weighed (range by time, hash by a hot-path column, none) with the partitions each read probes. */
  options: PartitionOption[];
}

/** One way to store a big table, judged by the partitions each read of it must probe. */
export interface PartitionOption {
  strategy: 'range' | 'hash' | 'none';
  key: string | null;
  /** Partitions the table holds under this option (range: over its retention or a year; none: 1). */
  partitions: number;
  /** Per read pattern of the table: how many partitions one query probes. */
  probes: { pattern: string; perSecond: number; partitions: number }[];
}

export interface RowSecurityPolicy {
  table: string;
  name: string;
  using: string;
}

/** One access pattern, read: per table, which columns it filters, joins and sorts on. */
export interface PatternShape {
  pattern: string;
  perSecond: number;
  kind: 'select' | 'insert' | 'update' | 'delete';
  /** Columns an UPDATE sets: an index holding one costs the update its HOT (heap-only) path. */
  updated: string[];
  /** True when the statement has a LIMIT: an ordered index scan can stop early. */
  limited: boolean;
  tables: TableAccess[];
}

/** A condition on a constant: the column it tests, and the predicate as SQL with the column quoted. */
export interface ConstantCondition {
  column: string;
  predicate: string;
}

export interface TableAccess {
  table: string;
  alias: string;
  /** Columns compared for equality with a parameter (`customer_id = $1`). */
  equality: string[];
  /** Columns compared with a range (`placed_at >= $1`, BETWEEN, LIKE 'prefix%'). */
  range: string[];
  /**
   * Equality columns compared with a list of parameters (`IN ($1, $2)`, `= ANY($1)`): an index key
   * holding one returns each value's rows in order, not all of them (Append + Sort, not one ordered scan).
   */
  list: string[];
  /** Columns this table is reached through from another (`l.order_id = o.id`). */
  join: string[];
  /** ORDER BY columns of this table, in order. */
  sort: IndexKey[];
  /** Conditions on constants (`status = 'pending'`, `resolved_at IS NULL`, `NOT archived`): a partial index's predicate. */
  constant: ConstantCondition[];
  /** Other columns the query reads from this table: INCLUDE candidates. */
  selected: string[];
  /** True when the query reads every column (`*`): no covering index. */
  selectsAll: boolean;
}
