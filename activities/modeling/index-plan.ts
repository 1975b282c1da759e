import { identifierFrom } from '../../postgres/names';
import type { IndexKey, PatternShape, PlannedIndex, PlannedTable, TableAccess } from './design-model';

/** Patterns at least this frequent get covering (INCLUDE) indexes: an index-only scan saves a heap visit per row. */
const COVERING_FROM_PER_SECOND = 100;
/** More included columns than this make the index a second copy of the table. */
const MAX_INCLUDED = 4;

/**
 * Indexes from the access patterns. Per table a pattern reads, the key is: equality columns first,
 * then sort columns in ORDER BY order and direction, then range columns (equality, sort, range: the
 * order that lets one index scan both filter and return rows already sorted). Conditions on
 * constants make the index partial; frequent reads of a few more columns make it covering. Then
 * indexes already served by a key, a unique constraint or a longer planned index are folded into
 * it, and every foreign key without an index that starts with its column gets one.
 */
export function planIndexes(tables: PlannedTable[], shapes: PatternShape[]): PlannedIndex[] {
  const keys: PlannedIndex[] = tables.flatMap((table) => [
    keyIndex(table, `${table.name}_pkey`, table.primaryKey, 'the primary key'),
    ...table.uniques.map((u) => keyIndex(table, u.name, u.columns, `the unique constraint ${u.name}`)),
  ]);
  const wanted = shapes.flatMap((shape) =>
    shape.kind === 'insert' ? [] : shape.tables.flatMap((access) => indexFor(shape, access)),
  );

  const planned: PlannedIndex[] = [];
  for (const index of wanted) {
    // A lookup a key already answers stays with the key: a covering copy of a primary key is not worth its writes.
    const same =
      keys.find((key) => serves(key, { ...index, include: [] })) ?? planned.find((other) => serves(other, index));
    if (same) {
      for (const pattern of index.patterns) if (!same.patterns.includes(pattern)) same.patterns.push(pattern);
      continue;
    }
    // Shorter indexes planned earlier are served by this longer one: fold them in.
    const shorter = planned.filter((other) => serves(index, other));
    for (const other of shorter) {
      planned.splice(planned.indexOf(other), 1);
      index.patterns.push(...other.patterns.filter((p) => !index.patterns.includes(p)));
      index.rationale += ` It also serves ${quoteList(other.patterns)}, which needs only its leading columns.`;
    }
    planned.push(index);
  }

  for (const table of tables) {
    for (const fk of table.foreignKeys) {
      const supported = [...keys, ...planned].some(
        (index) => index.table === table.name && index.where === null && index.keys[0]?.column === fk.column,
      );
      if (supported) continue;
      planned.push({
        name: identifierFrom(table.name, fk.column, 'idx'),
        table: table.name,
        keys: [{ column: fk.column, descending: false }],
        include: [],
        where: null,
        origin: 'foreign-key',
        rationale: `Supports the foreign key ${fk.name}: deleting or re-keying a row of ${fk.table} looks up its rows in ${table.name} by ${fk.column}, a sequential scan of ${table.name} without this index (and joins from ${fk.table} use it too).`,
        patterns: [],
      });
    }
  }
  uniqueNames(planned, keys);
  return [...keys, ...planned];
}

function keyIndex(table: PlannedTable, name: string, columns: string[], what: string): PlannedIndex {
  return {
    name,
    table: table.name,
    keys: columns.map((column) => ({ column, descending: false })),
    include: [],
    where: null,
    origin: 'key',
    rationale: `Created by ${what}.`,
    patterns: [],
  };
}

function indexFor(shape: PatternShape, access: TableAccess): PlannedIndex[] {
  const keys: IndexKey[] = [];
  const add = (column: string, descending = false) => {
    if (!keys.some((k) => k.column === column)) keys.push({ column, descending });
  };
  let where: string | null = null;
  let why: string;
  if (access.join.length > 0) {
    // Reached from another table: one lookup per joined row, by the join columns.
    access.join.forEach((c) => add(c));
    why = `'${shape.pattern}' reaches ${access.table} through ${access.join.join(', ')} once per joined row: those columns lead.`;
  } else if (access.equality.length > 0 || access.range.length > 0) {
    access.equality.forEach((c) => add(c));
    access.sort.forEach((k) => add(k.column, k.descending));
    access.range.forEach((c) => add(c));
    where = access.constant.length > 0 ? access.constant.map((c) => c.predicate).join(' AND ') : null;
    why = describeKey(access);
  } else if (access.sort.length > 0 || access.constant.length > 0) {
    access.sort.forEach((k) => add(k.column, k.descending));
    if (keys.length === 0) add(access.constant[0]!.column);
    where = access.constant.length > 0 ? access.constant.map((c) => c.predicate).join(' AND ') : null;
    why =
      access.sort.length > 0
        ? `Key: ${access.sort.map(keyText).join(', ')}, so rows come back in ORDER BY order without a sort.`
        : 'The index holds only the rows the pattern asks for.';
  } else {
    return [];
  }
  const inKey = new Set(keys.map((k) => k.column));
  const extra = access.selected.filter((c) => !inKey.has(c));
  const include =
    shape.kind === 'select' &&
    shape.perSecond >= COVERING_FROM_PER_SECOND &&
    !access.selectsAll &&
    extra.length > 0 &&
    extra.length <= MAX_INCLUDED
      ? [...new Set(extra)]
      : [];
  const parts = [why];
  if (where)
    parts.push(`Partial (WHERE ${where}): the pattern only reads those rows, so the index holds nothing else.`);
  if (include.length > 0)
    parts.push(
      `INCLUDE (${include.join(', ')}) covers the columns it reads: an index-only scan at ${shape.perSecond}/s skips the table.`,
    );
  return [
    {
      name: identifierFrom(access.table, ...keys.map((k) => k.column), ...(where ? ['partial'] : []), 'idx'),
      table: access.table,
      keys,
      include,
      where,
      origin: 'access-pattern',
      rationale: parts.join(' '),
      patterns: [shape.pattern],
    },
  ];
}

function describeKey(access: TableAccess): string {
  const parts: string[] = [];
  if (access.equality.length > 0) parts.push(`equality on ${access.equality.join(', ')}`);
  if (access.sort.length > 0)
    parts.push(`${access.sort.map(keyText).join(', ')}, so rows come back in ORDER BY order without a sort`);
  const ranges = access.range.filter((c) => !access.sort.some((k) => k.column === c) && !access.equality.includes(c));
  if (ranges.length > 0) parts.push(`the range on ${ranges.join(', ')}`);
  const sortedRange = access.range.filter((c) => access.sort.some((k) => k.column === c));
  const bound = sortedRange.length > 0 ? ` The range on ${sortedRange.join(', ')} bounds the sorted scan.` : '';
  return `Key: ${parts.map((part, n) => (n === 0 ? `first ${part}` : `then ${part}`)).join('; ')}.${bound}`;
}

function keyText(key: IndexKey): string {
  return key.descending ? `${key.column} DESC` : key.column;
}

/** True when `index` answers everything `wanted` would: same table and predicate, wanted's key a prefix, its included columns present. */
function serves(index: PlannedIndex, wanted: PlannedIndex): boolean {
  if (index === wanted || index.table !== wanted.table || index.where !== wanted.where) return false;
  if (wanted.keys.length > index.keys.length) return false;
  const samePrefix = wanted.keys.every((k, n) => {
    const other = index.keys[n]!;
    // A single-column key serves either direction: a btree scans backwards as well.
    return other.column === k.column && (other.descending === k.descending || wanted.keys.length === 1);
  });
  const available = new Set([...index.keys.map((k) => k.column), ...index.include]);
  return samePrefix && wanted.include.every((c) => available.has(c));
}

function uniqueNames(planned: PlannedIndex[], keys: PlannedIndex[]): void {
  const taken = new Set(keys.map((k) => k.name));
  for (const index of planned) {
    let name = index.name;
    for (let n = 2; taken.has(name); n++) name = identifierFrom(index.name.slice(0, 60), String(n));
    index.name = name;
    taken.add(name);
  }
}

function quoteList(items: string[]): string {
  return items.map((i) => `'${i}'`).join(', ');
}
