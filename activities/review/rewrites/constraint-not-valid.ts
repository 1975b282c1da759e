import { qualified, quoteIdent } from '../../../postgres/names';
import { names, nodeOf } from '../../../postgres/ast';
import { defaultConstraintName, onlyColumn, singleCommand, sqlOf, step, type OnlineRewrite } from './rewrite';

export const constraintNotValid: OnlineRewrite = {
  id: 'constraint-not-valid',
  explanation:
    'Adding a FOREIGN KEY or CHECK verifies every existing row while holding a lock that blocks writes (a foreign key blocks writes on both tables). ' +
    'Added NOT VALID it only applies to new rows and takes its lock briefly; VALIDATE CONSTRAINT then checks the old rows under SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes.',
  rewrite(statement, context) {
    const single = singleCommand(statement);
    const constraint = single?.cmd.subtype === 'AT_AddConstraint' ? nodeOf(single.cmd.def, 'Constraint') : undefined;
    if (!single || !constraint || constraint.skip_validation) return undefined;
    if (constraint.contype !== 'CONSTR_FOREIGN' && constraint.contype !== 'CONSTR_CHECK') return undefined;
    const name =
      constraint.conname ??
      (constraint.contype === 'CONSTR_FOREIGN'
        ? defaultConstraintName(single.table, names(constraint.fk_attrs), 'fkey', context.catalog)
        : defaultConstraintName(
            single.table,
            [onlyColumn(constraint.raw_expr)].filter((c): c is string => c !== undefined),
            'check',
            context.catalog,
          ));
    // The same statement with its one constraint named and NOT VALID, edited in a copy.
    const copy = { ...statement, node: structuredClone(statement.node) };
    const rewritten = nodeOf(singleCommand(copy)!.cmd.def, 'Constraint')!;
    rewritten.conname = name;
    rewritten.skip_validation = true;
    delete rewritten.initially_valid;
    const table = qualified(single.table);
    return [
      step(
        context,
        1,
        'transactional',
        sqlOf(copy.node),
        `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`,
      ),
      step(context, 2, 'transactional', `ALTER TABLE ${table} VALIDATE CONSTRAINT ${quoteIdent(name)}`),
    ];
  },
};
