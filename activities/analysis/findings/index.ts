import { boundedCharacter } from './char-n';
import { duplicateIndex } from './duplicate-index';
import { foreignKeyWithoutIndex } from './fk-no-index';
import { invalidIndex } from './invalid-index';
import { jsonColumn } from './json';
import { keyOverflow } from './key-overflow';
import type { FindingKind } from './kind';
import { needsPartitioning } from './needs-partitioning';
import { noPrimaryKey } from './no-pk';
import { piiUnprotected } from './pii-unprotected';
import { redundantIndex } from './redundant-index';
import { sequentialScans } from './seq-scan';
import { serialColumn } from './serial';
import { timestampWithoutTimeZone } from './timestamp-no-tz';
import { unusedIndex } from './unused-index';

export type { AnalysisContext, AnalysisOptions, FindingKind, VolumeHint } from './kind';

/** Every analysis finding kind, in the order the issue lists them. Adding a kind is adding a file and a line here. */
export const ANALYSIS_FINDING_KINDS: readonly FindingKind[] = [
  noPrimaryKey,
  foreignKeyWithoutIndex,
  duplicateIndex,
  redundantIndex,
  unusedIndex,
  invalidIndex,
  timestampWithoutTimeZone,
  serialColumn,
  keyOverflow,
  boundedCharacter,
  jsonColumn,
  sequentialScans,
  piiUnprotected,
  needsPartitioning,
];
