import type { Finding, Severity } from '../../../artifacts/findings';
import type { DesignModel } from '../design-model';
import type { DesignSpec } from '../spec';

/** What every modeling finding kind reads: the spec and the model built from it (before findings). */
export interface ModelingContext {
  spec: DesignSpec;
  model: Omit<DesignModel, 'findings'>;
}

/** A worked example that runs as a test: a spec (YAML) modelled, then this kind's findings compared. */
export interface ModelingExample {
  name: string;
  spec: string;
  /** The findings of this kind, in order; each is matched as a subset. */
  expect: Partial<Finding>[];
}

/** One kind of modeling or requirements finding: one file, a stable id, the check, and examples. */
export interface ModelingFindingKind {
  id: string;
  severity: Severity;
  explanation: string;
  /** What to do about it in general, for docs/rules.md. */
  remedy: string;
  find(context: ModelingContext): Finding[];
  examples: ModelingExample[];
}

export function modelingFinding(
  kind: Pick<ModelingFindingKind, 'id' | 'severity'>,
  fields: Omit<Finding, 'id' | 'source' | 'severity'>,
): Finding {
  return { id: kind.id, source: 'schemawright', severity: kind.severity, ...fields };
}

/** When a number becomes a finding. */
export const MODELING_THRESHOLDS = {
  /** A pattern joining this many tables... */
  hotJoinTables: 3,
  /** ...this often is worth a denormalization question. */
  hotJoinPerSecond: 100,
  /** Reads a second past which one primary is worth relieving with replicas. */
  replicationReadsPerSecond: 5000,
  /** A pattern this frequent that tolerates stale answers is a cache candidate. */
  cachingPerSecond: 100,
  /** Rows a day past which ingest is time-series work. */
  timeSeriesRowsPerDay: 10_000_000,
};
