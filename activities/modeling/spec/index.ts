export { issueText, loadSpec, SpecError, type SpecIssue } from './load';
export { normalizeColumnType } from './column-types';
export type * from './types';
export { NEEDS } from './types';
