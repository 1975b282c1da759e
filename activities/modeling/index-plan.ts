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
  const byName = new Map(tables.map((t) => [t.name, t]));
  const wanted = shapes.flatMap((shape) =>
    shape.kind === 'insert' ? [] : shape.tables.flatMap((access) => indexFor(shape, access, byName.get(access.table)!)),
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
      // A tenant-scoped reference is checked by (tenant, column): an index leading with either serves it.
      const leads = (index: PlannedIndex, columns: string[]) => columns.every((c, n) => index.keys[n]?.column === c);
      const scoped = fk.tenant ? [fk.tenant.column, fk.column] : [fk.column];
      const supported = [...keys, ...planned].some(
        (index) =>
          index.table === table.name && index.where === null && (leads(index, [fk.column]) || leads(index, scoped)),
      );
      if (supported) continue;
      planned.push({
        name: identifierFrom(table.name, ...scoped, 'idx'),
        table: table.name,
        keys: scoped.map((column) => ({ column, descending: false })),
        include: [],
        where: null,
        origin: 'foreign-key',
        rationale: `Supports the foreign key ${fk.name}: deleting or re-keying a row of ${fk.table} looks up its rows in ${table.name} by ${scoped.join(', ')}, a sequential scan of ${table.name} without this index (and joins from ${fk.table} use it too).`,
        patterns: [],
      });
    }
  }
  // Every index that answers a pattern as well as the one wanted for it counts as planned for it:
  // the planner may take any of them (a foreign key's index leading with the same column, a key).
  for (const index of wanted) {
    for (const other of [...keys, ...planned])
      if (other !== index && serves(other, { ...index, include: [] }))
        for (const pattern of index.patterns) if (!other.patterns.includes(pattern)) other.patterns.push(pattern);
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

function indexFor(shape: PatternShape, access: TableAccess, table: PlannedTable): PlannedIndex[] {
  // The primary key finds the one row: another index with it among its equality columns only adds writes.
  if (table.primaryKey.every((c) => access.equality.includes(c) && !access.list.includes(c)))
    return [
      {
        ...keyIndex(table, `${table.name}_pkey`, table.primaryKey, 'the primary key'),
        origin: 'access-pattern',
        patterns: [shape.pattern],
      },
    ];
  const keys: IndexKey[] = [];
  const add = (column: string, descending = false) => {
    if (!keys.some((k) => k.column === column)) keys.push({ column, descending });
  };
  // A table reached through a join is looked up by its join columns; its constant conditions stay a filter.
  const where =
    access.join.length === 0 && access.constant.length > 0
      ? access.constant.map((c) => c.predicate).join(' AND ')
      : null;
  let why: string;
  if (access.join.length > 0) {
    // Reached from another table: one lookup per joined row, by the join columns.
    access.join.forEach((c) => add(c));
    why = `'${shape.pattern}' reaches ${access.table} through ${access.join.join(', ')} once per joined row: those columns lead.`;
  } else if (access.equality.length > 0 || access.range.length > 0) {
    const single = access.equality.filter((c) => !access.list.includes(c));
    const listed = access.equality.filter((c) => access.list.includes(c));
    single.forEach((c) => add(c));
    if (listed.length > 0 && access.sort.length > 0 && shape.limited) {
      // A list column before the sort columns returns each value's rows in order, not all of them: with
      // a LIMIT, one scan in ORDER BY order that filters the list inside the index stops after LIMIT rows.
      access.sort.forEach((k) => add(k.column, k.descending));
      listed.forEach((c) => add(c));
    } else {
      listed.forEach((c) => add(c));
      access.sort.forEach((k) => add(k.column, k.descending));
    }
    access.range.forEach((c) => add(c));
    why = describeKey(access, shape.limited);
  } else if (access.sort.length > 0 || access.constant.length > 0) {
    access.sort.forEach((k) => add(k.column, k.descending));
    if (keys.length === 0) add(access.constant[0]!.column);
    why =
      access.sort.length > 0
        ? `Key: ${access.sort.map(keyText).join(', ')}, so rows come back in ORDER BY order without a sort.`
        : 'The index holds only the rows the pattern asks for.';
  } else {
    return [];
  }
  const inKey = new Set(keys.map((k) => k.column));
  const extra = [...new Set(access.selected.filter((c) => !inKey.has(c)))];
  const unbounded = extra.filter((c) => !bounded(table.columns.find((col) => col.name === c)?.type));
  const frequent = shape.kind === 'select' && shape.perSecond >= COVERING_FROM_PER_SECOND && !access.selectsAll;
  // INCLUDE only when it makes an index-only scan: every column read, each of bounded width (a btree
  // entry must fit in a third of a page, about 2.7 KB: an unbounded text value makes inserts fail).
  const include = frequent && extra.length > 0 && extra.length <= MAX_INCLUDED && unbounded.length === 0 ? extra : [];
  const parts = [why];
  if (where) {
    const lists = access.constant.filter((c) => / IN \(/.test(c.predicate));
    parts.push(
      lists.length > 0 && access.sort.length > 0
        ? `Partial (WHERE ${where}): the pattern reads only those rows, so ${lists.map((c) => c.column).join(', ')} stays out of the key and one scan returns them in ORDER BY order (in the key, each listed value's rows would come back in order but not all of them: Append and a Sort).`
        : `Partial (WHERE ${where}): the pattern only reads those rows, so the index holds nothing else.`,
    );
  }
  if (include.length > 0)
    parts.push(
      `INCLUDE (${include.join(', ')}) covers the columns it reads: an index-only scan at ${shape.perSecond}/s skips the table.`,
    );
  else if (frequent && unbounded.length > 0)
    parts.push(
      `No INCLUDE: ${unbounded.join(', ')} ${unbounded.length > 1 ? 'have' : 'has'} no bounded width (an index entry over about 2.7 KB fails the insert), so no index-only scan is possible and the table is read for the rows found.`,
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

/** Types whose values have a small bounded width; text, JSON, bytea, arrays and unsized varchar do not. */
const BOUNDED_TYPES =
  /^(smallint|integer|int|bigint|int[248]|boolean|bool|date|time|timestamp|timestamptz|timestamp(tz)? .*|uuid|real|double precision|float[48]|money|inet|macaddr|numeric(\(\d+(, *\d+)?\))?|interval|oid)$/;
const SMALL_VARCHAR = /^(varchar|character varying|char|character)\((\d+)\)$/;

function bounded(type: string | undefined): boolean {
  if (!type) return false;
  const t = type.toLowerCase();
  const sized = SMALL_VARCHAR.exec(t);
  if (sized) return Number(sized[2]) <= 200;
  if (BOUNDED_TYPES.test(t)) return true;
  // An enum's values are short labels; a table column of another user type is not known to be.
  return !/[\[\]]|^(text|json|jsonb|bytea|varchar|character varying|tsvector|xml)$/.test(t);
}

function describeKey(access: TableAccess, limited: boolean): string {
  const parts: string[] = [];
  const single = access.equality.filter((c) => !access.list.includes(c));
  const listed = access.equality.filter((c) => access.list.includes(c));
  if (single.length > 0) parts.push(`equality on ${single.join(', ')}`);
  const sorted = access.sort.map(keyText).join(', ');
  if (listed.length > 0 && access.sort.length > 0 && limited) {
    parts.push(`${sorted}, so rows come back in ORDER BY order without a sort`);
    parts.push(
      `${listed.join(', ')}, compared with a list: filtered inside the index during that ordered scan, which stops after LIMIT rows (in front of ${sorted} it would return each listed value's rows in order, not all of them: Append and a Sort)`,
    );
  } else if (listed.length > 0) {
    parts.push(`${listed.join(', ')}, compared with a list (one index range per value)`);
    if (access.sort.length > 0)
      parts.push(
        `${sorted}: each value's rows come back in that order, not all of them, so a Sort follows (no LIMIT to stop an ordered scan early)`,
      );
  } else if (access.sort.length > 0) parts.push(`${sorted}, so rows come back in ORDER BY order without a sort`);
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
