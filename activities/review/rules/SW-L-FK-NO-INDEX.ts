import type { Constraint } from '@pgsql/types';
import {
  alterTableCommands,
  findNodes,
  names,
  nodeOf,
  relationName,
  statementOf,
  unqualified,
} from '../../../postgres/ast';
import type { ParsedStatement } from '../../../postgres/parse';
import {
  identifyingParts,
  keyIsIndexed,
  uniqueKeysOf,
  type Catalog,
  type Table,
} from '../../../postgres/introspection';
import { identifierFrom, qualified, quoteIdent } from '../../../postgres/names';
import type { LintRule, RuleViolation } from './rule';

/** A foreign key the migration declares: its table (as written), columns and the statement that declares it. */
interface DeclaredKey {
  table: string;
  columns: string[];
  /** The parent as written and its columns (empty: its primary key). */
  references: { table: string; columns: string[] };
  statement: ParsedStatement;
}

/** True when a partial index's predicate only drops rows whose key is NULL, which the key's check never looks up. */
function keepsKeyedRows(where: unknown, columns: string[]): boolean {
  if (where === undefined) return true;
  const and = nodeOf(where, 'BoolExpr');
  if (and) return and.boolop === 'AND_EXPR' && (and.args ?? []).every((arg) => keepsKeyedRows(arg, columns));
  const test = nodeOf(where, 'NullTest');
  const column = names(nodeOf(test?.arg, 'ColumnRef')?.fields).at(-1);
  return test?.nulltesttype === 'IS_NOT_NULL' && column !== undefined && columns.includes(column);
}

/**
 * The foreign keys a migration declares and the leading columns of the indexes it creates. Tables are
 * named as written, so `s.t` and `t` stay apart; the table's own name is what CREATE TABLE matched.
 */
function keysAndIndexes(statements: ParsedStatement[]) {
  const created = new Set<string>();
  const keys: DeclaredKey[] = [];
  const indexes: { table: string; leading: string[]; where?: unknown; unique?: boolean }[] = [];
  const fromConstraint = (
    table: string,
    constraint: Constraint,
    column: string | undefined,
    statement: ParsedStatement,
  ) => {
    const columns = column ? [column] : names(constraint.fk_attrs ?? constraint.keys);
    const references = { table: relationName(constraint.pktable) ?? '', columns: names(constraint.pk_attrs) };
    if (constraint.contype === 'CONSTR_FOREIGN') keys.push({ table, columns, references, statement });
    if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE')
      indexes.push({ table, leading: columns, unique: true });
  };
  for (const statement of statements) {
    const create = statementOf(statement, 'CreateStmt');
    const createName = relationName(create?.relation);
    if (create && createName) {
      const table = createName;
      created.add(unqualified(table));
      for (const element of create.tableElts ?? []) {
        const column = nodeOf(element, 'ColumnDef');
        for (const constraint of findNodes(column?.constraints, 'Constraint'))
          fromConstraint(table, constraint, column?.colname, statement);
        const constraint = nodeOf(element, 'Constraint');
        if (constraint) fromConstraint(table, constraint, undefined, statement);
      }
    }
    const alter = statementOf(statement, 'AlterTableStmt');
    const alterName = relationName(alter?.relation);
    if (alterName)
      for (const cmd of alterTableCommands(statement)) {
        const constraint = nodeOf(cmd.def, 'Constraint');
        if (cmd.subtype === 'AT_AddConstraint' && constraint)
          fromConstraint(alterName, constraint, undefined, statement);
      }
    const index = statementOf(statement, 'IndexStmt');
    const indexed = relationName(index?.relation);
    if (index && indexed)
      indexes.push({
        table: indexed,
        leading: (index.indexParams ?? []).map((p) => nodeOf(p, 'IndexElem')?.name ?? ''),
        where: index.whereClause,
        unique: index.unique,
      });
  }
  return { keys, created, indexes };
}

/** The target's table a name written in the migration means: `s.t` exactly, `t` in public. */
function tableOn(catalog: Catalog | undefined, written: string): Table | undefined {
  const dot = written.lastIndexOf('.');
  const [schema, name] = dot < 0 ? ['public', written] : [written.slice(0, dot), written.slice(dot + 1)];
  return catalog?.tables.find((t) => t.schema === schema && t.name === name);
}

export const fkWithoutIndex: LintRule = {
  id: 'SW-L-FK-NO-INDEX',
  severity: 'warning',
  explanation:
    "A foreign key the migration declares with no index that leads with its columns (or with the part of them that alone matches a unique key of the parent, as a tenant key's id does): none in the migration, and, on a table that exists already, none on the target. " +
    'Every DELETE or key UPDATE on the referenced table then scans the referencing table, and joins along the key cannot use an index. ' +
    "Keys on tables that exist already are checked when review has the target's catalog (review --target, a request's review phase).",
  remedy:
    "Create an index that leads with the foreign key's columns in the same migration: right after a new table, CONCURRENTLY on a live one.",
  check(statements, { catalog }) {
    const { keys, created, indexes } = keysAndIndexes(statements);
    return keys.flatMap((key): RuleViolation[] => {
      const isNew = created.has(unqualified(key.table));
      const existing = isNew ? undefined : tableOn(catalog, key.table);
      // A table neither created here nor on the target: the shadow's run says what is wrong with it.
      if (!isNew && !existing) return [];
      // The parent's unique keys, from the migration or the target, tell which part of the key finds its rows.
      const parentKeys = [
        ...indexes
          .filter(
            (i) => i.unique && i.where === undefined && unqualified(i.table) === unqualified(key.references.table),
          )
          .map((i) => i.leading),
        ...uniqueKeysOf(tableOn(catalog, key.references.table)),
      ];
      const primary = parentKeys[0] ?? [];
      const parts = identifyingParts(
        key.columns,
        key.references.columns.length ? key.references.columns : primary,
        parentKeys,
      );
      const served = indexes.some(
        (index) =>
          unqualified(index.table) === unqualified(key.table) &&
          parts.some(
            (part) =>
              index.leading.length >= part.length &&
              part.every((c) => index.leading.slice(0, part.length).includes(c)) &&
              keepsKeyedRows(index.where, part),
          ),
      );
      if (served || (existing && catalog && keyIsIndexed(catalog, existing, parts))) return [];
      const name = identifierFrom(unqualified(key.table), ...key.columns, 'idx');
      // A live table's index is built without blocking writes; a partitioned one cannot be built so.
      const concurrently = existing && existing.kind !== 'partitioned' ? 'CONCURRENTLY ' : '';
      const table = existing ? qualified(existing.schema, existing.name) : quoteIdent(unqualified(key.table));
      return [
        {
          statement: key.statement,
          object: unqualified(key.table),
          message: `The foreign key on ${unqualified(key.table)} (${key.columns.join(', ')}) has no index that starts with its columns.`,
          fix: `CREATE INDEX ${concurrently}${quoteIdent(name)} ON ${table} (${key.columns.map(quoteIdent).join(', ')});`,
          ...(existing
            ? { evidence: { table: `${existing.schema}.${existing.name}`, rows: existing.stats.rowEstimate } }
            : {}),
        },
      ];
    });
  },
  examples: {
    pass: [
      {
        sql: 'CREATE TABLE orders (id bigint PRIMARY KEY); CREATE TABLE line (id bigint PRIMARY KEY, order_id bigint REFERENCES orders); CREATE INDEX ON line (order_id)',
      },
      {
        sql: 'CREATE TABLE tag (id bigint PRIMARY KEY); CREATE TABLE post_tag (post bigint, tag bigint REFERENCES tag, PRIMARY KEY (tag, post))',
      },
      {
        sql: 'CREATE TABLE person (id bigint PRIMARY KEY); CREATE TABLE post (id bigint PRIMARY KEY, approver_id bigint REFERENCES person); CREATE INDEX ON post (approver_id) WHERE approver_id IS NOT NULL',
      },
      {
        // A tenant key: the ticket's own id finds one ticket's rows, so the primary key leading with it serves the check.
        sql:
          'CREATE TABLE ticket (account_id bigint, id bigint PRIMARY KEY, UNIQUE (account_id, id));\n' +
          'CREATE TABLE ticket_tag (account_id bigint, ticket_id bigint, tag text, PRIMARY KEY (ticket_id, tag), FOREIGN KEY (account_id, ticket_id) REFERENCES ticket (account_id, id))',
      },
      {
        target:
          'CREATE TABLE ticket (account_id bigint, id bigint PRIMARY KEY, UNIQUE (account_id, id)); CREATE TABLE note (account_id bigint, ticket_id bigint)',
        sql: 'CREATE INDEX CONCURRENTLY ON note (ticket_id);\nALTER TABLE note ADD FOREIGN KEY (account_id, ticket_id) REFERENCES ticket (account_id, id)',
      },
      // Without the target's catalog a table the migration does not create is not known, so not judged.
      { sql: 'ALTER TABLE existing ADD CONSTRAINT existing_fk FOREIGN KEY (a) REFERENCES other (id)' },
      {
        target:
          'CREATE TABLE person (id bigint PRIMARY KEY); CREATE TABLE post (id bigint PRIMARY KEY, author_id bigint); CREATE INDEX ON post (author_id, id)',
        sql: 'ALTER TABLE post ADD FOREIGN KEY (author_id) REFERENCES person',
      },
      {
        target:
          'CREATE TABLE artist (id int PRIMARY KEY); CREATE TABLE credit (artist int, track boolean) PARTITION BY LIST (track); ' +
          'CREATE TABLE credit_t PARTITION OF credit FOR VALUES IN (true); CREATE TABLE credit_f PARTITION OF credit FOR VALUES IN (false); ' +
          'CREATE INDEX ON credit_t (artist); CREATE INDEX ON credit_f (artist)',
        sql: 'ALTER TABLE credit ADD FOREIGN KEY (artist) REFERENCES artist',
      },
      {
        target:
          'CREATE TABLE person (id bigint PRIMARY KEY); CREATE TABLE post (id bigint PRIMARY KEY, editor_id bigint)',
        sql: 'ALTER TABLE post ADD FOREIGN KEY (editor_id) REFERENCES person NOT VALID;\nCREATE INDEX CONCURRENTLY ON post (editor_id) WHERE editor_id IS NOT NULL',
      },
    ],
    fail: [
      {
        // The tenant column alone finds every row of the tenant: no help to the check.
        sql:
          'CREATE TABLE ticket (account_id bigint, id bigint PRIMARY KEY, UNIQUE (account_id, id));\n' +
          'CREATE TABLE ticket_tag (account_id bigint, ticket_id bigint, tag text, FOREIGN KEY (account_id, ticket_id) REFERENCES ticket (account_id, id));\nCREATE INDEX ON ticket_tag (account_id, tag)',
        messages: ['The foreign key on ticket_tag (account_id, ticket_id) has no index that starts with its columns.'],
      },
      {
        sql: 'CREATE TABLE orders (id bigint PRIMARY KEY);\nCREATE TABLE line (id bigint PRIMARY KEY, order_id bigint REFERENCES orders, sku text)',
        messages: ['The foreign key on line (order_id) has no index that starts with its columns.'],
      },
      {
        sql: 'CREATE TABLE person (id bigint PRIMARY KEY); CREATE TABLE post (id bigint PRIMARY KEY, author_id bigint, editor_id bigint); ALTER TABLE post ADD FOREIGN KEY (author_id) REFERENCES person, ADD FOREIGN KEY (editor_id) REFERENCES person; CREATE INDEX ON post (editor_id) WHERE id > 10',
        messages: [
          'The foreign key on post (author_id) has no index that starts with its columns.',
          'The foreign key on post (editor_id) has no index that starts with its columns.',
        ],
      },
      {
        // On the target already, with an index on another column only: the key is named at its statement.
        target:
          'CREATE TABLE person (id bigint PRIMARY KEY); CREATE TABLE post (id bigint PRIMARY KEY, author_id bigint, title text); CREATE INDEX ON post (title)',
        sql: 'ALTER TABLE post ADD COLUMN reviewer_id bigint;\nALTER TABLE public.post ADD FOREIGN KEY (author_id) REFERENCES person, ADD FOREIGN KEY (reviewer_id) REFERENCES person',
        messages: [
          'The foreign key on post (author_id) has no index that starts with its columns.',
          'The foreign key on post (reviewer_id) has no index that starts with its columns.',
        ],
      },
    ],
  },
};
