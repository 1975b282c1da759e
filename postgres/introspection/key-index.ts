import { quoteIdent } from '../names';
import type { Catalog, Table } from './catalog';

/**
 * True when the predicate keeps every row the key's check looks up: the check asks for `col = $1`,
 * which implies `col IS NOT NULL`, so a partial index `WHERE col IS NOT NULL` (for any of the key's
 * columns, ANDed) serves it as the planner proves by implication. Any other predicate does not.
 */
function keepsEveryKeyedRow(predicate: string, columns: string[]): boolean {
  const key = new Set(columns.map(quoteIdent));
  return predicate
    .replace(/[()]/g, ' ')
    .split(/\bAND\b/)
    .every((term) => {
      const column = /^\s*("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\s+IS NOT NULL\s*$/.exec(term)?.[1];
      return column !== undefined && key.has(column);
    });
}

/** An index serves the foreign key when its leading plain columns are the key's columns, in any order. */
function hasServingIndex(table: Table, columns: string[]): boolean {
  return table.indexes.some((index) => {
    if (!index.valid || index.method !== 'btree') return false;
    if (index.predicate && !keepsEveryKeyedRow(index.predicate, columns)) return false;
    const leading = index.keys.slice(0, columns.length);
    return (
      leading.length === columns.length &&
      index.keyIsColumn.slice(0, columns.length).every(Boolean) &&
      columns.every((c) => leading.includes(quoteIdent(c)))
    );
  });
}

/**
 * Whether the table's indexes serve a foreign key on these columns: on the table itself, or, for a
 * partitioned table, on every one of its partitions (the check then probes each partition's index;
 * an index on the parent is only the sum of those). Analysis and review ask the same question.
 */
export function keyIsIndexed(catalog: Catalog, table: Table, columns: string[]): boolean {
  if (hasServingIndex(table, columns)) return true;
  const name = `${table.schema}.${table.name}`;
  const partitions = table.kind === 'partitioned' ? catalog.tables.filter((t) => t.partitionOf?.parent === name) : [];
  return partitions.length > 0 && partitions.every((partition) => keyIsIndexed(catalog, partition, columns));
}
