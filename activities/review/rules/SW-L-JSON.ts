import type { TypeName } from '@pgsql/types';
import { alterTableCommands, findNodes, names, nodeOf, relationName, statementOf } from '../../../postgres/ast';
import type { ParsedStatement } from '../../../postgres/parse';
import type { LintRule } from './rule';

export const json: LintRule = {
  id: 'SW-L-JSON',
  severity: 'warning',
  explanation:
    'json stores the text as given and re-parses it on every access; it has no equality operator, so no index, DISTINCT or GROUP BY. ' +
    'jsonb is parsed once, indexable with GIN, and what the operators expect.',
  remedy: 'Declare the column jsonb.',
  check(statements) {
    return statements.flatMap((statement) =>
      declaredColumns(statement)
        .filter((column) => isJson(column.typeName))
        .map((column) => ({
          statement,
          object: column.name,
          message: `${column.name} is declared json; use jsonb.`,
          fix: `Declare ${column.name} as jsonb.`,
        })),
    );
  },
  examples: {
    pass: [
      { sql: 'CREATE TABLE events (payload jsonb)' },
      { sql: "SELECT '{}'::json" },
      { sql: 'ALTER TABLE events ALTER COLUMN meta TYPE jsonb' },
    ],
    fail: [
      {
        sql: 'CREATE TABLE events (id bigint, payload json, tags json[])',
        messages: ['events.payload is declared json; use jsonb.', 'events.tags is declared json; use jsonb.'],
      },
      {
        sql: 'ALTER TABLE events ADD COLUMN meta pg_catalog.json',
        messages: ['events.meta is declared json; use jsonb.'],
      },
      { sql: 'ALTER TABLE events ALTER COLUMN meta TYPE json', messages: ['events.meta is declared json; use jsonb.'] },
    ],
  },
};

/** Columns a statement defines or retypes; a cast to json inside a query stores nothing and is not one. */
function declaredColumns(statement: ParsedStatement): { name: string; typeName?: TypeName }[] {
  const create = statementOf(statement, 'CreateStmt');
  if (create) {
    const table = relationName(create.relation) ?? '?';
    return findNodes(create.tableElts, 'ColumnDef').map((c) => ({
      name: `${table}.${c.colname}`,
      typeName: c.typeName,
    }));
  }
  const table = relationName(statementOf(statement, 'AlterTableStmt')?.relation) ?? '?';
  return alterTableCommands(statement).flatMap((cmd) => {
    const def = nodeOf(cmd.def, 'ColumnDef');
    if (!def) return [];
    if (cmd.subtype === 'AT_AddColumn') return [{ name: `${table}.${def.colname}`, typeName: def.typeName }];
    if (cmd.subtype === 'AT_AlterColumnType') return [{ name: `${table}.${cmd.name}`, typeName: def.typeName }];
    return [];
  });
}

function isJson(typeName: TypeName | undefined): boolean {
  const parts = names(typeName?.names);
  return parts[parts.length - 1] === 'json' && (parts.length === 1 || parts[0] === 'pg_catalog');
}
