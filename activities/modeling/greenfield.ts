import type { Catalog } from '../../postgres/introspection';

const NAME = String.raw`(?:"((?:[^"]|"")+)"|(\w+))`;
const TABLE = new RegExp(String.raw`^alter table (?:${NAME}\.)?${NAME} `, 'i');
const NOT_VALID = /^(alter table .+ add constraint (\S+) .+?) not valid;?$/is;
const VALIDATE = /^alter table .+ validate constraint (\S+);?$/i;
const USING_INDEX = /^(alter table .+ add constraint \S+ (?:primary key|unique)) using index (\S+);?$/i;
const UNIQUE_INDEX = new RegExp(
  String.raw`^create unique index (\S+) on (?:${NAME}\.)?${NAME} using btree (\(.+\));?$`,
  'i',
);
const DROP_ON_TABLE = new RegExp(String.raw`^(?:alter table|drop policy \S+ on) (?:${NAME}\.)?${NAME}`, 'i');
const DROP_INDEX = new RegExp(String.raw`^drop index (?:if exists )?(?:${NAME}\.)?${NAME};?$`, 'i');

/** An index name as CREATE INDEX and USING INDEX write it, quoted or not. */
const bare = (name: string): string => name.replace(/^"(.*)"$/, '$1');
const unquote = (quoted: string | undefined, bare: string | undefined): string =>
  quoted !== undefined ? quoted.replace(/""/g, '"') : bare!.toLowerCase();
const nameOf = (m: RegExpExecArray, at: number): string =>
  `${unquote(m[at], m[at + 1]) || 'public'}.${unquote(m[at + 2], m[at + 3])}`;
const tableKey = (m: RegExpExecArray, at: number): string =>
  m[at] === undefined && m[at + 1] === undefined ? `public.${unquote(m[at + 2], m[at + 3])}` : nameOf(m, at);

/**
 * migra writes every migration as if its tables were in use: constraints added NOT VALID then
 * validated, keys built as a unique index then attached `USING INDEX`, and on the way back each
 * constraint, index and policy of a table dropped one by one before the table. On a table the
 * migration itself creates (or drops) nothing is in use: a constraint is added valid in one
 * statement, a key declared with its columns, and a dropped table takes its own objects with it,
 * so a greenfield migration reads as short as the design (and drops nothing in an order that fails).
 */
export function greenfield(statements: string[], from: Catalog, to: Catalog): string[] {
  const names = (catalog: Catalog) => new Set(catalog.tables.map((t) => `${t.schema}.${t.name}`));
  const before = names(from);
  const after = names(to);
  const created = new Set([...after].filter((t) => !before.has(t)));
  const dropped = new Set([...before].filter((t) => !after.has(t)));
  // A dropped table's foreign keys still go first, one by one: another dropped table may be referenced by them.
  const droppedForeignKeys = new Set(
    from.tables
      .filter((t) => dropped.has(`${t.schema}.${t.name}`))
      .flatMap((t) => t.constraints.filter((c) => c.kind === 'foreign key').map((c) => c.name)),
  );
  const droppedIndexes = new Set(
    from.tables
      .filter((t) => dropped.has(`${t.schema}.${t.name}`))
      .flatMap((t) => t.indexes.map((i) => `${t.schema}.${i.name}`)),
  );
  const onTable = (sql: string, tables: Set<string>) => {
    const m = TABLE.exec(sql);
    return m !== null && tables.has(tableKey(m, 1));
  };

  const validated = new Set<string>();
  const keyColumns = new Map<string, string>();
  for (const sql of statements) {
    const notValid = NOT_VALID.exec(sql);
    if (notValid && onTable(sql, created)) validated.add(notValid[2]!);
    const index = UNIQUE_INDEX.exec(sql);
    if (index && created.has(tableKey(index, 2))) keyColumns.set(bare(index[1]!), index[6]!);
  }
  // The key constraint takes the unique index's place: foreign keys added later need it there.
  const attached = new Map(
    statements.flatMap((sql) => {
      const using = USING_INDEX.exec(sql);
      const index = using ? bare(using[2]!) : '';
      return using && onTable(sql, created) && keyColumns.has(index)
        ? [[index, `${using[1]} ${keyColumns.get(index)};`] as const]
        : [];
    }),
  );

  return statements.flatMap((sql): string[] => {
    const drop = DROP_ON_TABLE.exec(sql);
    const foreignKey = /drop constraint (\S+);?$/i.exec(sql);
    if (drop && dropped.has(tableKey(drop, 1)) && !(foreignKey && droppedForeignKeys.has(bare(foreignKey[1]!))))
      return [];
    const dropIndex = DROP_INDEX.exec(sql);
    if (dropIndex && droppedIndexes.has(tableKey(dropIndex, 1))) return [];
    const validate = VALIDATE.exec(sql);
    if (validate && validated.has(validate[1]!)) return [];
    const notValid = NOT_VALID.exec(sql);
    if (notValid && validated.has(notValid[2]!)) return [`${notValid[1]};`];
    const index = UNIQUE_INDEX.exec(sql);
    if (index && attached.has(bare(index[1]!))) return [attached.get(bare(index[1]!))!];
    const using = USING_INDEX.exec(sql);
    if (using && attached.has(bare(using[2]!))) return [];
    return [sql];
  });
}
