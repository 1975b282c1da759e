import { qualified, quoteIdent } from '../../../postgres/names';
import { names, nodeOf } from '../../../postgres/ast';
import { defaultConstraintName, singleCommand, step, type OnlineRewrite } from './rewrite';

export const uniqueUsingIndex: OnlineRewrite = {
  id: 'unique-using-index',
  explanation:
    'ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) builds its index under ACCESS EXCLUSIVE: reads and writes wait for the build. ' +
    'Build the unique index CONCURRENTLY first (its own non-transactional step), then attach it with ADD CONSTRAINT ... USING INDEX, which is instant.',
  rewrite(statement, context) {
    const single = singleCommand(statement);
    const constraint = single?.cmd.subtype === 'AT_AddConstraint' ? nodeOf(single.cmd.def, 'Constraint') : undefined;
    if (
      !single ||
      !constraint ||
      constraint.indexname ||
      (constraint.contype !== 'CONSTR_UNIQUE' && constraint.contype !== 'CONSTR_PRIMARY')
    )
      return undefined;
    // Options the index cannot carry across USING INDEX (INCLUDE, NULLS NOT DISTINCT, deferrable) stay as written.
    if (constraint.including || constraint.nulls_not_distinct || constraint.deferrable) return undefined;
    const primary = constraint.contype === 'CONSTR_PRIMARY';
    const columns = names(constraint.keys);
    const name =
      constraint.conname ??
      (primary
        ? defaultConstraintName(single.table, [], 'pkey', context.catalog)
        : defaultConstraintName(single.table, columns, 'key', context.catalog));
    const table = qualified(single.table);
    const schema = single.table.includes('.') ? `${single.table.slice(0, single.table.lastIndexOf('.'))}.` : '';
    const index = qualified(`${schema}${name}`);
    return [
      step(
        context,
        1,
        'non-transactional',
        `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${table} (${columns.map(quoteIdent).join(', ')})`,
        `DROP INDEX CONCURRENTLY IF EXISTS ${index}`,
      ),
      step(
        context,
        2,
        'transactional',
        `ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(name)} ${primary ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${quoteIdent(name)}`,
        `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`,
      ),
    ];
  },
};
