import { alterTableCommands, nodeOf, relationName, statementOf } from '../../../postgres/ast';
import type { LintRule } from './rule';

export const exclusionConstraint: LintRule = {
  id: 'SW-L-EXCLUSION-CONSTRAINT',
  severity: 'warning',
  explanation:
    'Adding an exclusion constraint to an existing table holds an ACCESS EXCLUSIVE lock while it builds its index and checks every row; ' +
    'unlike UNIQUE or FOREIGN KEY there is no NOT VALID or concurrent form to split the work.',
  remedy:
    'Add it in a maintenance window sized to the table, or enforce the rule with a trigger first and add the ' +
    'constraint while the table is small or quiet.',
  check(statements) {
    // A table created in the same migration is empty: its constraint costs nothing.
    const created = new Set(statements.flatMap((s) => relationName(statementOf(s, 'CreateStmt')?.relation) ?? []));
    return statements.flatMap((statement) => {
      const table = relationName(statementOf(statement, 'AlterTableStmt')?.relation) ?? '?';
      if (created.has(table)) return [];
      return alterTableCommands(statement)
        .filter(
          (cmd) => cmd.subtype === 'AT_AddConstraint' && nodeOf(cmd.def, 'Constraint')?.contype === 'CONSTR_EXCLUSION',
        )
        .map(() => ({
          statement,
          object: table,
          message: `Adding an exclusion constraint to ${table} blocks reads and writes while every row is checked.`,
          fix: 'Add it in a maintenance window sized to the table, or enforce the rule in a trigger first and add the constraint when the table is small or quiet.',
        }));
    });
  },
  examples: {
    pass: [
      { sql: 'CREATE TABLE booking (room int, during tstzrange, EXCLUDE USING gist (room WITH =, during WITH &&))' },
      {
        sql: 'CREATE TABLE booking (room int, during tstzrange); ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)',
      },
    ],
    fail: [
      {
        sql: 'ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)',
        messages: ['Adding an exclusion constraint to booking blocks reads and writes while every row is checked.'],
      },
    ],
  },
};
