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
 * The parts of a foreign key that find the same rows as all of it: where the referenced columns hold
 * a unique key of the parent on their own, the referencing columns that match it. A tenant key
 * `(account_id, ticket_id) REFERENCES ticket (account_id, id)`, with `id` the ticket's primary key, is
 * served by an index leading with `ticket_id`: one ticket's rows are one tenant's. Each part comes
 * with the whole key first.
 */
export function identifyingParts(columns: string[], referenced: string[], parentKeys: string[][]): string[][] {
  const parts = parentKeys
    .filter((key) => key.length > 0 && key.length < referenced.length && key.every((c) => referenced.includes(c)))
    .map((key) => key.map((c) => columns[referenced.indexOf(c)]!));
  return [columns, ...parts];
}

/** The primary key and unique constraints of a table: what identifies one of its rows. */
export function uniqueKeysOf(table: Table | undefined): string[][] {
  return (table?.constraints ?? [])
    .filter((c) => c.kind === 'primary key' || c.kind === 'unique')
    .map((c) => c.columns);
}

/**
 * Whether the table's indexes serve a foreign key: an index leads with one of its identifying parts
 * (`identifyingParts`), on the table itself, or, for a partitioned table, on every one of its
 * partitions (the check then probes each partition's index; an index on the parent is only the sum
 * of those). Analysis and review ask the same question.
 */
export function keyIsIndexed(catalog: Catalog, table: Table, parts: string[][]): boolean {
  if (parts.some((columns) => hasServingIndex(table, columns))) return true;
  const name = `${table.schema}.${table.name}`;
  const partitions = table.kind === 'partitioned' ? catalog.tables.filter((t) => t.partitionOf?.parent === name) : [];
  return partitions.length > 0 && partitions.every((partition) => keyIsIndexed(catalog, partition, parts));
}
