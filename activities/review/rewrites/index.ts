import type { MigrationStep } from '../../../artifacts/migration';
import type { ParsedStatement } from '../../../postgres/parse';
import { constraintNotValid } from './constraint-not-valid';
import { createIndexConcurrently } from './create-index-concurrently';
import { expandContractType } from './expand-contract-type';
import type { OnlineRewrite, RewriteContext } from './rewrite';
import { setNotNull } from './set-not-null';
import { uniqueUsingIndex } from './unique-using-index';

export { BACKFILL_BATCH_SIZE } from './expand-contract-type';
export type { OnlineRewrite, RewriteContext } from './rewrite';

/** The online rewrites: adding one means adding its file and one line here. */
export const onlineRewrites: readonly OnlineRewrite[] = [
  createIndexConcurrently,
  constraintNotValid,
  setNotNull,
  uniqueUsingIndex,
  expandContractType,
];

/** The online form of a statement, or undefined when none applies; with the rewrite's id for explanations. */
export function onlineRewriteOf(
  statement: ParsedStatement,
  context: RewriteContext,
): { rewrite: OnlineRewrite; steps: MigrationStep[] } | undefined {
  for (const rewrite of onlineRewrites) {
    const steps = rewrite.rewrite(statement, context);
    if (steps) return { rewrite, steps };
  }
  return undefined;
}
