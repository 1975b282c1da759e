import { quoteIdent, qualified } from '../../../postgres/names';
import { singleCommand, step, bareName, type OnlineRewrite } from './rewrite';

export const setNotNull: OnlineRewrite = {
  id: 'set-not-null',
  explanation:
    'SET NOT NULL reads every row under ACCESS EXCLUSIVE. From PostgreSQL 12 a validated CHECK (col IS NOT NULL) proves it without the scan: ' +
    'add the CHECK NOT VALID (brief lock), VALIDATE it (no blocking), SET NOT NULL (instant), then drop the CHECK.',
  rewrite(statement, context) {
    const single = singleCommand(statement);
    if (!single || single.cmd.subtype !== 'AT_SetNotNull' || context.pgVersion.major < 12) return undefined;
    const column = String(single.cmd.name);
    const table = qualified(single.table);
    // Not `<table>_<col>_not_null`: PostgreSQL 18 gives that name to the NOT NULL constraint itself.
    const check = quoteIdent(`${bareName(single.table)}_${column}_nn_check`.slice(0, 63));
    return [
      step(
        context,
        1,
        'transactional',
        `ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${quoteIdent(column)} IS NOT NULL) NOT VALID`,
        `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${check}`,
      ),
      step(context, 2, 'transactional', `ALTER TABLE ${table} VALIDATE CONSTRAINT ${check}`),
      step(
        context,
        3,
        'transactional',
        `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL;\nALTER TABLE ${table} DROP CONSTRAINT ${check}`,
        `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} DROP NOT NULL`,
      ),
    ];
  },
};
