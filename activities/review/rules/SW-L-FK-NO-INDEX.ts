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
import { identifierFrom, quoteIdent } from '../../../postgres/names';
import type { LintRule, RuleViolation } from './rule';

/** A foreign key the migration declares: its table, columns and the statement that declares it. */
interface DeclaredKey {
  table: string;
  columns: string[];
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
 * The foreign keys and the leading columns of the indexes a migration creates, on the tables it
 * creates. Tables that exist already are left to analysis (SW-A-FK-NO-INDEX), which sees their indexes.
 */
function keysAndIndexes(statements: ParsedStatement[]) {
  const created = new Set<string>();
  const keys: DeclaredKey[] = [];
  const indexes: { table: string; leading: string[]; where?: unknown }[] = [];
  const fromConstraint = (
    table: string,
    constraint: Constraint,
    column: string | undefined,
    statement: ParsedStatement,
  ) => {
    const columns = column ? [column] : names(constraint.fk_attrs ?? constraint.keys);
    if (constraint.contype === 'CONSTR_FOREIGN') keys.push({ table, columns, statement });
    if (constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE')
      indexes.push({ table, leading: columns });
  };
  for (const statement of statements) {
    const create = statementOf(statement, 'CreateStmt');
    const createName = relationName(create?.relation);
    if (create && createName) {
      const table = unqualified(createName);
      created.add(table);
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
          fromConstraint(unqualified(alterName), constraint, undefined, statement);
      }
    const index = statementOf(statement, 'IndexStmt');
    const indexed = relationName(index?.relation);
    if (index && indexed)
      indexes.push({
        table: unqualified(indexed),
        leading: (index.indexParams ?? []).map((p) => nodeOf(p, 'IndexElem')?.name ?? ''),
        where: index.whereClause,
      });
  }
  return { keys: keys.filter((k) => created.has(k.table)), indexes };
}

export const fkWithoutIndex: LintRule = {
  id: 'SW-L-FK-NO-INDEX',
  severity: 'warning',
  explanation:
    'A foreign key on a table this migration creates, with no index in the migration that leads with its columns. ' +
    'Every DELETE or key UPDATE on the referenced table then scans the new table, and joins along the key cannot use an index. ' +
    'Keys on tables that already exist are checked by analysis (SW-A-FK-NO-INDEX), which sees their indexes.',
  remedy: "Create an index that leads with the foreign key's columns in the same migration, right after the table.",
  check(statements) {
    const { keys, indexes } = keysAndIndexes(statements);
    return keys.flatMap((key): RuleViolation[] => {
      const served = indexes.some(
        (index) =>
          index.table === key.table &&
          index.leading.length >= key.columns.length &&
          key.columns.every((c) => index.leading.slice(0, key.columns.length).includes(c)) &&
          keepsKeyedRows(index.where, key.columns),
      );
      if (served) return [];
      const name = identifierFrom(key.table, ...key.columns, 'idx');
      return [
        {
          statement: key.statement,
          object: key.table,
          message: `The foreign key on ${key.table} (${key.columns.join(', ')}) has no index that starts with its columns.`,
          fix: `CREATE INDEX ${quoteIdent(name)} ON ${quoteIdent(key.table)} (${key.columns.map(quoteIdent).join(', ')});`,
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
      { sql: 'ALTER TABLE existing ADD CONSTRAINT existing_fk FOREIGN KEY (a) REFERENCES other (id)' },
    ],
    fail: [
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
    ],
  },
};
