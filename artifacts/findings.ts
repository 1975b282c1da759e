/**
 * A finding is one thing analysis or review noticed. Analysis findings (live schema), review findings
 * (migration SQL, ours and squawk's) and the report share this shape, so one report renders them all.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface SourceLocation {
  file?: string;
  line: number;
  column: number;
}

export interface Finding {
  /** Stable, searchable id: `SW-...` for ours, squawk's rule name for squawk's. */
  id: string;
  /** Who found it: `schemawright` or `squawk`. */
  source: string;
  severity: Severity;
  /** The object concerned: `schema.table`, `schema.table.column`, an index name. */
  object?: string;
  /** What goes wrong. */
  message: string;
  /** Why it matters, briefly. */
  why: string;
  /** What to do instead: SQL where there is one. */
  fix?: string;
  /** The facts behind it (sizes, counts, statistics), as plain JSON. */
  evidence?: Record<string, unknown>;
  location?: SourceLocation;
}
