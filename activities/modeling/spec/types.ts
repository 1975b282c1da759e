import type { Position } from '../../../config/yaml-source';

/**
 * A design spec as modeling reads it: validated, defaults filled in, names resolved to the columns
 * and tables they become. Plain JSON, so it travels through Temporal and lands in the store.
 * docs/spec.md describes the YAML it comes from.
 */
export interface DesignSpec {
  name: string;
  /** Target major version: what is safe to emit (e.g. CREATE INDEX CONCURRENTLY on partitioned tables). */
  postgres: number;
  /** The schema the design lives in. */
  schema: string;
  entities: Entity[];
  accessPatterns: AccessPattern[];
  requirements: Requirements;
}

export type OnDelete = 'restrict' | 'cascade' | 'set null' | 'no action';

interface FieldCommon {
  /** As written in the spec. */
  name: string;
  /** The column it becomes: the name, or `<name>_id` for a reference. */
  column: string;
  unique: boolean;
  pii: boolean;
  nullable: boolean;
  /** A boolean SQL expression over the column (a spec's `>= 0` is completed to `total >= 0`). */
  check?: string;
  /** The default as SQL: a quoted literal for `default`, the expression for `default_sql`. */
  default?: string;
  position: Position;
}

export interface ScalarField extends FieldCommon {
  kind: 'scalar';
  /** The PostgreSQL type, normalised: `integer`, `numeric(12,2)`, `timestamptz`, `text[]`. */
  type: string;
}

export interface RefField extends FieldCommon {
  kind: 'ref';
  /** The referenced entity's name; the column holds its `id`. */
  entity: string;
  onDelete: OnDelete;
}

export interface EnumField extends FieldCommon {
  kind: 'enum';
  values: string[];
  /** The type it becomes: `<entity>_<field>`. */
  typeName: string;
}

export type Field = ScalarField | RefField | EnumField;

export interface ManyToMany {
  /** The relation's name in the spec (`tags`). */
  name: string;
  /** The other entity. */
  entity: string;
  /** The join table: `<entity>_<relation>`. */
  table: string;
  /** The join table's two columns: this entity's key, then the other's. */
  columns: [string, string];
  position: Position;
}

export interface Volume {
  /** Undefined when the spec gives only growth_per_day: unknown, not empty. */
  rows?: number;
  growthPerDay: number;
}

export interface Entity {
  name: string;
  /** The table: the entity's name. */
  table: string;
  fields: Field[];
  /** Composite unique keys, as column names. */
  unique: string[][];
  volume?: Volume;
  manyToMany: ManyToMany[];
  /** With a multi-tenant key: true for tables every tenant shares (a plan catalogue), left out of row-level security. */
  shared: boolean;
  position: Position;
}

export interface Duration {
  /** As written: `5m`, `7y`, `0`. */
  text: string;
  seconds: number;
}

export interface AccessPattern {
  name: string;
  sql: string;
  perSecond: number;
  /** How stale a read may be; present means a cache could serve it. */
  freshness?: Duration;
  position: Position;
  /** Where the SQL starts in the file: the pattern's own positions are relative to it. */
  sqlPosition: Position;
}

export type Consistency = 'strong' | 'read_your_writes' | 'eventual';

/** Workloads PostgreSQL serves with help (an extension, a specialised store): technology-fit advice. */
export type Need = 'documents' | 'graph' | 'full_text' | 'time_series';
export const NEEDS: readonly Need[] = ['documents', 'graph', 'full_text', 'time_series'];

export interface Requirements {
  consistency: Consistency;
  /** Recovery point objective: how much committed data may be lost. */
  rpo?: Duration;
  /** Recovery time objective: how long until the database serves again. */
  rto?: Duration;
  /** The tenant entity: tables referencing it get row-level security on its key. */
  multiTenantKey: string | null;
  /** How long rows of an entity are kept, by entity name. */
  retention: Record<string, Duration>;
  readsPerSecond?: number;
  writesPerSecond?: number;
  needs: Need[];
}
