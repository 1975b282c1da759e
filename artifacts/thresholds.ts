/** When a number becomes a finding. Exported so modeling and the spec use the same limits. */
export interface Thresholds {
  /** Counters younger than this cannot call an index unused. */
  unusedIndexMinStatsDays: number;
  /** A table this large (estimated rows) that is read by sequential scans is worth a look. */
  seqScanMinRows: number;
  seqScanMinScans: number;
  /** Share of a sequence's range used that makes a warning, and an error. */
  keyOverflowWarning: number;
  keyOverflowError: number;
  /** Past either, a table wants partitioning (now, or within the horizon at its growth rate). */
  partitionRows: number;
  partitionBytes: number;
  partitionHorizonDays: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  unusedIndexMinStatsDays: 7,
  seqScanMinRows: 100_000,
  seqScanMinScans: 100,
  keyOverflowWarning: 0.5,
  keyOverflowError: 0.85,
  partitionRows: 50_000_000,
  partitionBytes: 50 * 1024 ** 3,
  partitionHorizonDays: 365,
};
