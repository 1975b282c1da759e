import { names, statementOf } from '../../../postgres/ast';
import type { LintRule } from './rule';

export const renameEnumValue: LintRule = {
  id: 'SW-L-RENAME-ENUM-VALUE',
  severity: 'warning',
  explanation:
    'Renaming an enum value changes every stored row at once: application code that still writes or compares the old label fails ' +
    'or silently matches nothing until it is deployed together with the migration.',
  remedy: 'Add the new value, move rows and code to it, and retire the old label in a later release.',
  check(statements) {
    return statements.flatMap((statement) => {
      const stmt = statementOf(statement, 'AlterEnumStmt');
      if (stmt?.oldVal === undefined) return [];
      const type = names(stmt.typeName).join('.');
      return [
        {
          statement,
          object: type,
          message: `Renaming value '${stmt.oldVal}' of enum ${type} to '${stmt.newVal}' breaks code that still uses the old label.`,
          fix: `Add the new value (ALTER TYPE ${type} ADD VALUE '${stmt.newVal}'), move rows and code to it, and retire the old label later.`,
        },
      ];
    });
  },
  examples: {
    pass: [{ sql: "ALTER TYPE mood ADD VALUE 'ecstatic'" }],
    fail: [
      {
        sql: "ALTER TYPE app.mood RENAME VALUE 'sad' TO 'blue'",
        messages: ["Renaming value 'sad' of enum app.mood to 'blue' breaks code that still uses the old label."],
      },
    ],
  },
};
