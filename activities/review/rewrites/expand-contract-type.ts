import { qualified, quoteIdent } from '../../../postgres/names';
import type { Table, View } from '../../../postgres/introspection';
import type { Node, TypeName } from '@pgsql/types';
import { findNodes, nodeOf } from '../../../postgres/ast';
import { catalogTable } from '../locks/model';
import { bareName, singleCommand, sqlOf, step, type OnlineRewrite } from './rewrite';

/** Rows per backfill batch: small enough that each UPDATE holds its row locks for well under a second. */
export const BACKFILL_BATCH_SIZE = 10_000;

/** Anything besides NOT NULL and a default that a dropped column takes with it (or that stops its drop): rebuilding those is not automated. */
function dependents(table: Table, column: string, views: View[]): string[] {
  const mentions = (text: string | null) => text !== null && new RegExp(`\\b${column}\\b`).test(text);
  // A view reading the column makes the contract's DROP COLUMN fail: it names the table and the column.
  const readsTable = (definition: string) => new RegExp(`\\b${table.name}\\b`).test(definition);
  return [
    ...views.filter((v) => readsTable(v.definition) && mentions(v.definition)).map((v) => `view ${v.schema}.${v.name}`),
    ...table.indexes
      .filter((i) => i.keys.some(mentions) || i.include.includes(column) || mentions(i.predicate))
      .map((i) => `index ${i.name}`),
    ...table.constraints.filter((c) => c.columns.includes(column)).map((c) => `constraint ${c.name}`),
    ...table.triggers.filter((t) => mentions(t.definition)).map((t) => `trigger ${t.name}`),
    ...table.policies.filter((p) => mentions(p.using) || mentions(p.check)).map((p) => `policy ${p.name}`),
  ];
}

/** The USING expression (or a plain cast) with column references read from the trigger's NEW row. */
function conversion(column: string, type: TypeName, using: Node | undefined, fromRow: boolean): string {
  const typeName = sqlOf({ TypeName: type });
  if (using === undefined) return `${fromRow ? 'NEW.' : ''}${quoteIdent(column)}::${typeName}`;
  const expression = structuredClone(using);
  if (fromRow) {
    for (const ref of findNodes(expression, 'ColumnRef')) {
      if (ref.fields?.length === 1) ref.fields.unshift({ String: { sval: 'new' } });
    }
  }
  return `(${sqlOf(expression)})::${typeName}`;
}

export const expandContractType: OnlineRewrite = {
  id: 'expand-contract-type',
  explanation:
    'ALTER COLUMN ... TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE. Expand/contract gets there online: add the new column and a trigger ' +
    'that keeps it in step with writes, backfill old rows in batches, then in one short transaction drop the old column and rename the new one. ' +
    'The column moves to the end of the table; NOT NULL and the default are carried over from the catalog. It needs the catalog, and declines when ' +
    'indexes, constraints, triggers, policies or views use the column (rebuild those by hand).',
  rewrite(statement, context) {
    const single = singleCommand(statement);
    const columnDef = single?.cmd.subtype === 'AT_AlterColumnType' ? nodeOf(single.cmd.def, 'ColumnDef') : undefined;
    const type = columnDef?.typeName;
    if (!single || !columnDef || !type) return undefined;
    const column = String(single.cmd.name);
    const known = catalogTable(context.catalog, single.table);
    const current = known?.columns.find((c) => c.name === column);
    if (
      !known ||
      !current ||
      current.generated ||
      current.identity ||
      dependents(known, column, context.catalog?.views ?? []).length > 0
    )
      return undefined;

    const table = qualified(single.table);
    const schema = single.table.includes('.') ? `${single.table.slice(0, single.table.lastIndexOf('.'))}.` : '';
    const temporary = quoteIdent(`${column}__sw_new`.slice(0, 63));
    const sync = `${bareName(single.table)}_${column}_sw_sync`.slice(0, 63);
    const fn = qualified(`${schema}${sync}`);
    const typeName = sqlOf({ TypeName: type });
    const execute = context.pgVersion.major >= 11 ? 'FUNCTION' : 'PROCEDURE';
    const notNull = !current.nullable;
    const check = quoteIdent(`${bareName(single.table)}_${column}_sw_nn_check`.slice(0, 63));

    const expand = [
      `ALTER TABLE ${table} ADD COLUMN ${temporary} ${typeName}`,
      `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $sw$ BEGIN NEW.${temporary} := ${conversion(column, type, columnDef.raw_default, true)}; RETURN NEW; END $sw$`,
      `CREATE TRIGGER ${quoteIdent(sync)} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE ${execute} ${fn}()`,
    ];
    const undoExpand = [
      `DROP TRIGGER IF EXISTS ${quoteIdent(sync)} ON ${table}`,
      `DROP FUNCTION IF EXISTS ${fn}()`,
      `ALTER TABLE ${table} DROP COLUMN IF EXISTS ${temporary}`,
    ];
    // ctid batches: the table may have no key; IS DISTINCT FROM ends the loop once every row matches.
    const converted = conversion(column, type, columnDef.raw_default, false);
    const backfill = `UPDATE ${table} SET ${temporary} = ${converted} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${temporary} IS DISTINCT FROM ${converted} LIMIT $1))`;
    const contract = [
      `DROP TRIGGER ${quoteIdent(sync)} ON ${table}`,
      `DROP FUNCTION ${fn}()`,
      `ALTER TABLE ${table} DROP COLUMN ${quoteIdent(column)}`,
      `ALTER TABLE ${table} RENAME COLUMN ${temporary} TO ${quoteIdent(column)}`,
      ...(current.default !== null
        ? [`ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} SET DEFAULT ${current.default}`]
        : []),
      ...(notNull
        ? [
            `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL`,
            ...(context.pgVersion.major >= 12 ? [`ALTER TABLE ${table} DROP CONSTRAINT ${check}`] : []),
          ]
        : []),
    ];
    const steps = [
      step(context, 1, 'transactional', expand.join(';\n'), undoExpand.join(';\n')),
      step(context, 2, 'backfill', backfill, undefined, BACKFILL_BATCH_SIZE),
    ];
    if (notNull && context.pgVersion.major >= 12) {
      // Proven by a validated CHECK, the final SET NOT NULL needs no scan under ACCESS EXCLUSIVE.
      steps.push(
        step(
          context,
          3,
          'transactional',
          `ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${temporary} IS NOT NULL) NOT VALID`,
          `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS ${check}`,
        ),
        step(context, 4, 'transactional', `ALTER TABLE ${table} VALIDATE CONSTRAINT ${check}`),
      );
    }
    steps.push(step(context, steps.length + 1, 'transactional', contract.join(';\n')));
    return steps;
  },
};
