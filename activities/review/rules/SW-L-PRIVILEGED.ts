import { privilegedStatements } from '../../../postgres/privileged/detector';
import type { LintRule } from './rule';

/** Statements that need rights beyond the database, at their lines: the question itself is SW-ESC-PRIVILEGED. */
export const privileged: LintRule = {
  id: 'SW-L-PRIVILEGED',
  severity: 'warning',
  explanation:
    'A statement that acts on the whole cluster or reaches outside the database (roles, server files and programs, ' +
    'server settings, untrusted code) is never run before people approve, not even on the shadow, and at apply it runs ' +
    'only with rights the apply role holds itself.',
  remedy:
    'Move cluster-wide work (roles, extensions, settings, server files) out of the migration to a DBA, or keep it and have people ' +
    'approve it through SW-ESC-PRIVILEGED.',
  check(statements, { down }) {
    const report = (list: typeof statements, direction: 'up' | 'down') =>
      privilegedStatements(list).map(({ statement, reasons }) => ({
        statement,
        evidence: { direction, sql: statement.sql, reasons },
        message: `This statement${direction === 'down' ? ' of the down migration' : ''} needs rights beyond the database: it ${reasons.join('; it ')}. Review ran it nowhere, not even on the shadow; people decide whether the apply role runs it (SW-ESC-PRIVILEGED).`,
        fix: 'Leave it out unless the change truly needs it: roles, extensions and server settings belong to whoever administers the server.',
      }));
    return [...report(statements, 'up'), ...report(down ?? [], 'down')];
  },
  examples: {
    pass: [{ sql: 'CREATE TABLE loot (body text);\nCOPY loot FROM STDIN', down: 'DROP TABLE loot' }],
    fail: [
      {
        sql: "CREATE TABLE loot (body text);\nCOPY (SELECT 1) TO PROGRAM 'touch /tmp/x'",
        messages: [
          'This statement needs rights beyond the database: it runs a program on the database server (COPY TO PROGRAM). Review ran it nowhere, not even on the shadow; people decide whether the apply role runs it (SW-ESC-PRIVILEGED).',
        ],
      },
      {
        sql: 'CREATE TABLE t (id int)',
        down: 'DROP TABLE t;\nDROP ROLE evil',
        messages: [
          'This statement of the down migration needs rights beyond the database: it drops a role (roles belong to the whole cluster). Review ran it nowhere, not even on the shadow; people decide whether the apply role runs it (SW-ESC-PRIVILEGED).',
        ],
      },
    ],
  },
};
