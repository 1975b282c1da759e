import type { DesignModel, PlannedIndex } from './design-model';
import { renderDdl } from './ddl';
import { MODELING_FINDING_KINDS } from './findings';
import type { IndexVerification } from './index-verification';
import type { DesignSpec } from './spec';

/**
 * The model without the access-pattern indexes no plan reads at the spec's volumes: each would cost
 * every write and buy no read. Only when EXPLAIN judged every pattern the index was planned for (an
 * error leaves it in); keys and foreign-key indexes stay, since their use (constraint checks, cascades)
 * is not a pattern. The DDL and the findings are rebuilt without them.
 */
export function withoutUnusedIndexes(
  spec: DesignSpec,
  model: DesignModel,
  verification: IndexVerification,
): DesignModel {
  const judged = new Map(verification.patterns.map((p) => [p.pattern, p]));
  const used = new Set(verification.patterns.flatMap((p) => p.used));
  const unused = model.indexes.filter(
    (index) =>
      index.origin === 'access-pattern' &&
      !used.has(index.name) &&
      index.patterns.every((p) => judged.has(p) && judged.get(p)!.verdict !== 'error'),
  );
  if (unused.length === 0) return model;
  const indexes = model.indexes.filter((i) => !unused.includes(i));
  const dropped = unused.map((index) => ({
    name: index.name,
    table: index.table,
    reason: `EXPLAIN at the spec's volumes reads it for none of ${quoteList(index)}: ${index.patterns
      .map((p) => `'${p}' ${describeUse(judged.get(p)!)}`)
      .join('; ')}. Left out, it costs no write.`,
  }));
  const rest = {
    ...model,
    indexes,
    droppedIndexes: [...model.droppedIndexes, ...dropped],
    ddl: renderDdl(model.schema, { ...model, indexes }),
  };
  return { ...rest, findings: MODELING_FINDING_KINDS.flatMap((kind) => kind.find({ spec, model: rest })) };
}

const quoteList = (index: PlannedIndex) => index.patterns.map((p) => `'${p}'`).join(', ');

function describeUse(pattern: IndexVerification['patterns'][number]): string {
  if (pattern.used.length > 0) return `reads ${pattern.used.join(', ')}`;
  if (pattern.sequentialScans.length > 0) return `reads ${pattern.sequentialScans.join(', ')} whole`;
  return 'reads no index';
}
