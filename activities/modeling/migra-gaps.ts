import type { Catalog } from '../../postgres/introspection';
import { quoteIdent } from '../../postgres/names';
import { alterTableCommands, body, isObject, relationName } from '../../postgres/ast';
import { parseStatements, type ParsedStatement } from '../../postgres/parse';
import { schemaDiff } from '../../postgres/shadow';

/** The statements that make `from`'s schema equal `to`'s (all schemas, or `schema`): migra's diff with its gaps closed. */
export async function closedSchemaDiff(
  from: { url: string; catalog: Catalog },
  to: { url: string; catalog: Catalog },
  schema?: string,
): Promise<string[]> {
  const statements = await parseStatements(
    (await schemaDiff(from.url, to.url, schema)).map((s) => `${s.replace(/;?\s*$/, '')};`).join('\n'),
  );
  return closeMigraGaps(statements, from.catalog, to.catalog);
}

/**
 * What migra's diff from one catalog to another misses or gets wrong, closed: partitions (below),
 * serial columns turned identity, sequences' types (it creates every sequence as bigint), added
 * columns' order (it adds them by name), and FORCE ROW LEVEL SECURITY, which it does not compare.
 */
export function closeMigraGaps(statements: ParsedStatement[], from: Catalog, to: Catalog): string[] {
  const forced = (catalog: Catalog) =>
    new Set(catalog.tables.filter((t) => t.forceRowSecurity).map((t) => `${t.schema}.${t.name}`));
  const before = forced(from);
  const after = forced(to);
  const existing = new Set(to.tables.map((t) => `${t.schema}.${t.name}`));
  const sequenceTypes = new Map(to.sequences.map((q) => [`${q.schema}.${q.name}`, q.type]));
  return [
    ...partitionAware(serialToIdentityOrder(inColumnOrder(statements, to)), [from, to]).map((sql) =>
      withSequenceType(sql, sequenceTypes),
    ),
    ...[...after].filter((t) => !before.has(t)).map((t) => `ALTER TABLE ${relationSql(t)} FORCE ROW LEVEL SECURITY;`),
    ...[...before]
      .filter((t) => !after.has(t) && existing.has(t))
      .map((t) => `ALTER TABLE ${relationSql(t)} NO FORCE ROW LEVEL SECURITY;`),
  ];
}

/**
 * migra diffs partitions as if they were ordinary tables: it creates a parent's index `ON ONLY`
 * the parent and again on each partition without attaching them (the parent's index stays invalid),
 * adds a partitioned table's key `USING INDEX` (which PostgreSQL refuses), repeats inherited foreign
 * keys on each partition, and drops partitions after their parent. This rewrites its statements into
 * what PostgreSQL does for partitioned tables: objects on the parent only, cascading to partitions.
 */
export function partitionAware(statements: ParsedStatement[], catalogs: Catalog[]): string[] {
  const key = (name: string) => (name.includes('.') ? name : `public.${name}`);
  const parentOf = new Map<string, string>();
  const partitionIndexes = new Set<string>();
  const constraintDefinitions = new Map<string, string>();
  const inheritedConstraints = new Set<string>();
  for (const catalog of catalogs) {
    for (const table of catalog.tables) {
      const name = `${table.schema}.${table.name}`;
      if (table.partitionOf) {
        parentOf.set(name, table.partitionOf.parent);
        for (const index of table.indexes) partitionIndexes.add(`${table.schema}.${index.name}`);
      }
      if (table.kind === 'partitioned')
        for (const c of table.constraints) constraintDefinitions.set(`${name}.${c.name}`, c.definition);
      // A foreign key to a partitioned table gets one internal constraint per partition (`..._fkey_1`): PostgreSQL makes them.
      for (const c of table.constraints) if (c.inherited) inheritedConstraints.add(`${name}.${c.name}`);
    }
  }
  const partitioned = new Set(parentOf.values());
  const droppedTables = new Set(
    statements
      .filter((s) => s.kind === 'DropStmt' && body(s).removeType === 'OBJECT_TABLE')
      .flatMap((s) => dropTargets(s).map(key)),
  );
  // Indexes behind a partitioned table's key: the rewritten ADD CONSTRAINT builds them.
  const keyIndexes = new Set<string>();
  const rewritten = new Map<ParsedStatement, string | null>();
  for (const statement of statements) {
    const stmt = body(statement);
    if (statement.kind === 'AlterTableStmt') {
      const table = key(relationName(stmt.relation) ?? '');
      const commands = alterTableCommands(statement);
      const constraintCommand = commands.every((c) =>
        ['AT_AddConstraint', 'AT_ValidateConstraint', 'AT_DropConstraint'].includes(String(c.subtype)),
      );
      const constraintName = (c: (typeof commands)[number]) =>
        c.def && 'Constraint' in c.def ? String(c.def.Constraint.conname) : String(c.name);
      if (constraintCommand && commands.every((c) => inheritedConstraints.has(`${table}.${constraintName(c)}`))) {
        rewritten.set(statement, null);
      } else if (parentOf.has(table) && constraintCommand) {
        rewritten.set(statement, null); // inherited from the parent
      } else if (partitioned.has(table) && commands.length === 1 && commands[0]!.subtype === 'AT_AddConstraint') {
        const def = commands[0]!.def;
        const constraint = def && 'Constraint' in def ? def.Constraint : undefined;
        const definition = constraintDefinitions.get(`${table}.${String(constraint?.conname)}`);
        if (typeof constraint?.indexname === 'string' && definition) {
          keyIndexes.add(`${table.split('.')[0]}.${constraint.indexname}`);
          rewritten.set(
            statement,
            `ALTER TABLE ${relationSql(table)} ADD CONSTRAINT ${quoteIdent(String(constraint.conname))} ${definition};`,
          );
        }
      }
    } else if (statement.kind === 'IndexStmt') {
      const table = key(relationName(stmt.relation) ?? '');
      if (parentOf.has(table)) rewritten.set(statement, null);
    } else if (statement.kind === 'DropStmt') {
      const targets = dropTargets(statement).map(key);
      if (
        stmt.removeType === 'OBJECT_TABLE' &&
        targets.every((t) => parentOf.has(t) && droppedTables.has(parentOf.get(t)!))
      )
        rewritten.set(statement, null);
      if (stmt.removeType === 'OBJECT_INDEX' && targets.every((t) => partitionIndexes.has(t)))
        rewritten.set(statement, null);
    }
  }
  return statements.flatMap((statement) => {
    if (statement.kind === 'IndexStmt') {
      const stmt = body(statement);
      const schema =
        isObject(stmt.relation) && typeof stmt.relation.schemaname === 'string' ? stmt.relation.schemaname : 'public';
      if (keyIndexes.has(`${schema}.${String(stmt.idxname)}`)) return [];
      // ON ONLY leaves the partitions' indexes to be attached one by one: without it, they are built and attached at once.
      if (!rewritten.has(statement) && isObject(stmt.relation) && stmt.relation.inh !== true)
        return [statement.sql.replace(/\bON\s+ONLY\s+/i, 'ON ')];
    }
    const replacement = rewritten.get(statement);
    if (replacement === null) return [];
    return [replacement ?? statement.sql];
  });
}

function dropTargets(statement: ParsedStatement): string[] {
  const objects = body(statement).objects;
  if (!Array.isArray(objects)) return [];
  return objects.flatMap((o) =>
    isObject(o) && isObject(o.List) && Array.isArray(o.List.items)
      ? [o.List.items.map((i) => (isObject(i) && isObject(i.String) ? String(i.String.sval) : '')).join('.')]
      : [],
  );
}

function relationSql(qualifiedName: string): string {
  const [schema, name] = qualifiedName.split('.');
  return `${quoteIdent(schema!)}.${quoteIdent(name!)}`;
}

/**
 * migra turns a serial column into an identity column before dropping the serial's sequence, so
 * the identity's sequence cannot take the name `<table>_<column>_seq` and gets `..._seq1`: the
 * schema then differs from the design. Dropping the old sequence first keeps the name.
 */
/**
 * migra adds a table's new columns in name order; a column's position is part of the schema
 * (`SELECT *`, COPY), so they are put back in the order they have in `to`.
 */
function inColumnOrder(statements: ParsedStatement[], to: Catalog): ParsedStatement[] {
  const position = (table: string, column: string) => {
    const qualifiedName = table.includes('.') ? table : `public.${table}`;
    const found = to.tables.find((t) => `${t.schema}.${t.name}` === qualifiedName);
    return found ? found.columns.findIndex((c) => c.name === column) : -1;
  };
  const added = (statement: ParsedStatement) => {
    const commands = alterTableCommands(statement);
    const table = relationName(body(statement).relation);
    const def =
      commands.length === 1 &&
      commands[0].subtype === 'AT_AddColumn' &&
      commands[0].def &&
      'ColumnDef' in commands[0].def
        ? commands[0].def.ColumnDef
        : undefined;
    return table && def ? { table, column: String(def.colname) } : undefined;
  };
  const ordered = [...statements];
  const slotsByTable = new Map<string, number[]>();
  statements.forEach((statement, i) => {
    const column = added(statement);
    if (column) slotsByTable.set(column.table, [...(slotsByTable.get(column.table) ?? []), i]);
  });
  for (const [table, slots] of slotsByTable) {
    const sorted = slots
      .map((i) => statements[i])
      .sort((a, b) => position(table, added(a)!.column) - position(table, added(b)!.column));
    slots.forEach((slot, i) => (ordered[slot] = sorted[i]));
  }
  return ordered;
}

function serialToIdentityOrder(statements: ParsedStatement[]): ParsedStatement[] {
  const ordered = [...statements];
  for (const statement of statements) {
    const table = relationName(body(statement).relation);
    const identity = alterTableCommands(statement).find((c) => c.subtype === 'AT_AddIdentity');
    if (!table || !identity) continue;
    const sequence = `${table.includes('.') ? table : `public.${table}`}_${String(identity.name)}_seq`;
    const drop = ordered.find(
      (s) =>
        s.kind === 'DropStmt' &&
        body(s).removeType === 'OBJECT_SEQUENCE' &&
        dropTargets(s).some((t) => (t.includes('.') ? t : `public.${t}`) === sequence),
    );
    if (!drop) continue;
    ordered.splice(ordered.indexOf(drop), 1);
    ordered.splice(ordered.indexOf(statement), 0, drop);
  }
  // The way back: the identity (and its sequence) must go before the serial's sequence is created.
  for (const statement of statements) {
    const table = relationName(body(statement).relation);
    const identity = alterTableCommands(statement).find((c) => c.subtype === 'AT_DropIdentity');
    if (!table || !identity) continue;
    const sequence = `${table.includes('.') ? table : `public.${table}`}_${String(identity.name)}_seq`;
    const create = ordered.find((s) => s.kind === 'CreateSeqStmt' && qualifiedSequence(s) === sequence);
    if (!create || ordered.indexOf(create) > ordered.indexOf(statement)) continue;
    ordered.splice(ordered.indexOf(create), 1);
    ordered.splice(ordered.indexOf(statement) + 1, 0, create);
    // ...and only then may the column default to it.
    const setDefault = ordered.find(
      (s) =>
        relationName(body(s).relation) === table &&
        alterTableCommands(s).some((c) => c.subtype === 'AT_ColumnDefault' && c.name === identity.name),
    );
    if (setDefault && ordered.indexOf(setDefault) < ordered.indexOf(create)) {
      ordered.splice(ordered.indexOf(setDefault), 1);
      ordered.splice(ordered.indexOf(create) + 1, 0, setDefault);
    }
  }
  return ordered;
}

function qualifiedSequence(statement: ParsedStatement): string {
  const name = relationName(body(statement).sequence) ?? '';
  return name.includes('.') ? name : `public.${name}`;
}

/** `create sequence s` is a bigint sequence; a serial column's was `AS integer`: say so. */
function withSequenceType(sql: string, types: Map<string, string>): string {
  const match = /^create sequence (?:if not exists )?"([^"]+)"\."([^"]+)"/i.exec(sql);
  const type = match ? types.get(`${match[1]}.${match[2]}`) : undefined;
  if (!type || type === 'bigint' || /\bas\s+(smallint|integer|bigint)\b/i.test(sql)) return sql;
  return `${sql.replace(/;\s*$/, '')} AS ${type};`;
}
