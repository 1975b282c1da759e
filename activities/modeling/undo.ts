import { alterTableCommands, body, isObject, names, relationName } from '../../postgres/ast';
import type { ParsedStatement } from '../../postgres/parse';
import { quoteIdent } from '../../postgres/names';

/** A dotted name, each part quoted as needed. */
function dotted(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

/**
 * The statement that undoes a creating statement, read from its AST: CREATE TABLE by DROP TABLE,
 * ADD CONSTRAINT by DROP CONSTRAINT, and so on. Undefined for what cannot be undone from the
 * statement alone (a DROP, a type change): the down migration restores those from the target.
 */
export function inverseOf(statement: ParsedStatement): string | undefined {
  const stmt = body(statement);
  switch (statement.kind) {
    case 'CreateStmt':
      return `DROP TABLE ${dotted(relationName(stmt.relation)!)};`;
    case 'CreateEnumStmt':
      return `DROP TYPE ${dotted(names(stmt.typeName).join('.'))};`;
    case 'CreateSeqStmt':
      return `DROP SEQUENCE ${dotted(relationName(stmt.sequence)!)};`;
    case 'CreateSchemaStmt':
      return `DROP SCHEMA ${quoteIdent(String(stmt.schemaname))};`;
    case 'CreateExtensionStmt':
      return `DROP EXTENSION ${quoteIdent(String(stmt.extname))};`;
    case 'IndexStmt': {
      const schema =
        isObject(stmt.relation) && typeof stmt.relation.schemaname === 'string'
          ? `${quoteIdent(stmt.relation.schemaname)}.`
          : '';
      return `DROP INDEX ${stmt.concurrent ? 'CONCURRENTLY ' : ''}IF EXISTS ${schema}${quoteIdent(String(stmt.idxname))};`;
    }
    case 'AlterSeqStmt': {
      // Only ownership is undone from the statement: other options would need the values before.
      const options = Array.isArray(stmt.options) ? stmt.options : [];
      const ownedByOnly =
        options.length === 1 &&
        isObject(options[0]) &&
        isObject(options[0].DefElem) &&
        options[0].DefElem.defname === 'owned_by';
      return ownedByOnly ? `ALTER SEQUENCE ${dotted(relationName(stmt.sequence)!)} OWNED BY NONE;` : undefined;
    }
    case 'CreatePolicyStmt':
      return `DROP POLICY ${quoteIdent(String(stmt.policy_name))} ON ${dotted(relationName(stmt.table)!)};`;
    case 'AlterTableStmt': {
      const table = dotted(relationName(stmt.relation)!);
      const inverses = alterTableCommands(statement).map((cmd) => {
        switch (cmd.subtype) {
          case 'AT_AddConstraint':
            return cmd.def && 'Constraint' in cmd.def && cmd.def.Constraint.conname
              ? `DROP CONSTRAINT ${quoteIdent(String(cmd.def.Constraint.conname))}`
              : undefined;
          case 'AT_AddColumn':
            return cmd.def && 'ColumnDef' in cmd.def
              ? `DROP COLUMN ${quoteIdent(String(cmd.def.ColumnDef.colname))}`
              : undefined;
          case 'AT_EnableRowSecurity':
            return 'DISABLE ROW LEVEL SECURITY';
          case 'AT_ForceRowSecurity':
            return 'NO FORCE ROW LEVEL SECURITY';
          case 'AT_NoForceRowSecurity':
            return 'FORCE ROW LEVEL SECURITY';
          case 'AT_AttachPartition':
            return cmd.def && 'PartitionCmd' in cmd.def
              ? `DETACH PARTITION ${dotted(relationName(cmd.def.PartitionCmd.name)!)}`
              : undefined;
          default:
            return undefined;
        }
      });
      if (inverses.length === 0 || inverses.some((i) => i === undefined)) return undefined;
      return `ALTER TABLE ${table} ${inverses.reverse().join(', ')};`;
    }
    default:
      return undefined;
  }
}
