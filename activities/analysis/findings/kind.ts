import type { Finding, Severity } from '../../../artifacts/findings';
import type { Catalog, Column, Index, Table } from '../../../postgres/introspection';
import { qualified, quoteIdent } from '../../../postgres/names';
import type { Thresholds } from '../../../artifacts/thresholds';

export interface VolumeHint {
  rows?: number;
  growthPerDay?: number;
}

export interface AnalysisOptions {
  /** Columns the spec marks as personal data, `schema.table.column` (`table.column` means `public`). */
  piiColumns?: string[];
  /** Expected volumes from the spec, keyed by `schema.table` (`table` means `public`). */
  volumes?: Record<string, VolumeHint>;
  thresholds?: Partial<Thresholds>;
}

/** What every finding kind reads: the catalog and the options with defaults filled in. */
export interface AnalysisContext {
  catalog: Catalog;
  piiColumns: string[];
  volumes: Record<string, VolumeHint>;
  thresholds: Thresholds;
  /** When the catalog was read: statistics ages count from here, not from the clock. */
  now: Date;
  table(qualified: string): Table | undefined;
}

/** A worked example that runs as a test: SQL run in a rolled-back transaction, then introspected. */
export interface FindingExample {
  name: string;
  sql: string;
  options?: AnalysisOptions;
  /** Statistics a test cannot produce in a transaction (months of counters, billions of rows), set on the catalog. */
  statistics?: (catalog: Catalog) => void;
  /** The findings of this kind, in order; each is matched as a subset. */
  expect: Partial<Finding>[];
  /** When true, running each finding's `fix` removes it (checked by the test). */
  fixResolves?: boolean;
  /** When true, each finding's `fix` runs (locks and rewrites measured) but is the first step of advice, so the finding stays. */
  fixRuns?: boolean;
  /** The tables and indexes (`schema.name`) the fixes rewrite or rebuild, measured by the test as a changed relfilenode; none when absent. */
  rewrites?: string[];
  /**
   * The strongest lock the fixes take on each table (`schema.name`: `ACCESS EXCLUSIVE`, `SHARE UPDATE
   * EXCLUSIVE`), measured by the test from pg_locks while they run as the runner runs them; none when absent.
   */
  locks?: Record<string, string>;
}

/** One kind of analysis finding: one file, a stable id, the check, and examples. */
export interface FindingKind {
  id: string;
  severity: Severity;
  /** What the kind looks for and why it matters, for the generated reference page. */
  explanation: string;
  /** What to do about it in general, for docs/rules.md; each finding carries its concrete fix. */
  remedy: string;
  find(context: AnalysisContext): Finding[];
  examples: FindingExample[];
}

/** Every finding from analysis has the same source; kinds fill in the rest. */
export function analysisFinding(
  kind: Pick<FindingKind, 'id' | 'severity'>,
  fields: Omit<Finding, 'id' | 'source' | 'severity'> & { severity?: Severity },
): Finding {
  return { id: kind.id, source: 'schemawright', severity: fields.severity ?? kind.severity, ...fields };
}

/** Ordinary tables and partitioned parents; partitions follow their parent and are reported there. */
export function ownTables(catalog: Catalog): Table[] {
  return catalog.tables.filter((t) => t.kind !== 'foreign' && !t.partitionOf);
}

/**
 * Tables, partitions and materialized views: the relations that carry indexes. An index attached to
 * a partitioned table's index is reported there, once, so kinds skip indexes with a `parentIndex`.
 */
export function indexedRelations(
  catalog: Catalog,
): { schema: string; name: string; partitioned: boolean; indexes: Index[] }[] {
  return [
    ...catalog.tables
      .filter((t) => t.kind !== 'foreign')
      .map((t) => ({ schema: t.schema, name: t.name, partitioned: t.kind === 'partitioned', indexes: t.indexes })),
    ...catalog.views
      .filter((v) => v.materialized)
      .map((v) => ({ schema: v.schema, name: v.name, partitioned: false, indexes: v.indexes })),
  ];
}

/** The SQL that removes an index: through its constraint when it backs one, concurrently otherwise. */
export function dropIndexSql(relation: { schema: string; name: string; partitioned: boolean }, index: Index): string {
  if (index.constraint)
    return `ALTER TABLE ${qualified(relation.schema, relation.name)} DROP CONSTRAINT ${quoteIdent(index.constraint)};`;
  return `DROP INDEX ${relation.partitioned ? '' : 'CONCURRENTLY '}${qualified(relation.schema, index.name)};`;
}

/** The lock `dropIndexSql`'s statement takes, as a finding says it: measured by the examples' fixes. */
export function dropIndexLock(relation: { partitioned: boolean }, index: Index): string {
  if (index.constraint)
    return 'Dropping the constraint takes ACCESS EXCLUSIVE on the table for a moment (it reads no rows).';
  if (relation.partitioned)
    return "A partitioned table's index cannot be dropped CONCURRENTLY: the DROP takes ACCESS EXCLUSIVE on the table and its partitions for a moment (it reads no rows).";
  return 'DROP INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE: reads and writes go on.';
}

/** Every column of the tables we report on, with its table. */
export function ownColumns(catalog: Catalog): { table: Table; column: Column }[] {
  return ownTables(catalog).flatMap((table) => table.columns.map((column) => ({ table, column })));
}
