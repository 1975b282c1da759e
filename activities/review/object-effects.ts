import {
  alterTableCommands,
  body,
  droppedObjects,
  findNodes,
  isObject,
  names,
  relationName,
  unqualified,
} from '../../postgres/ast';
import type { ParsedStatement } from '../../postgres/parse';

/**
 * What a statement does to named objects, as keys `kind:name` (`relation:users`, `column:users.email`,
 * `type:mood`). Tables, views, indexes and sequences share one namespace in PostgreSQL, so all are
 * `relation`. Names are unqualified: up and down files of one migration rarely disagree on schemas.
 * Objects created inside function bodies or dynamic SQL are invisible here; the shadow verification
 * covers those.
 */
export interface ObjectEffects {
  creates: string[];
  /** Dropped or renamed away; `mustExist` says the statement fails if the object is missing. */
  removes: { key: string; mustExist: boolean }[];
  /** Altered in place: the statement fails if the object is missing. */
  alters: string[];
  /** Data deleted for good (`table t`, `column t.c`, `rows of t`): nothing in the database brings it back. */
  destroys: string[];
  /** A table renamed: its columns move with it. */
  renamedRelation?: { from: string; to: string };
}

const dropKinds: Record<string, string> = {
  OBJECT_TABLE: 'relation',
  OBJECT_VIEW: 'relation',
  OBJECT_MATVIEW: 'relation',
  OBJECT_INDEX: 'relation',
  OBJECT_SEQUENCE: 'relation',
  OBJECT_FOREIGN_TABLE: 'relation',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'type',
  OBJECT_SCHEMA: 'schema',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'function',
  OBJECT_EXTENSION: 'extension',
  OBJECT_TRIGGER: 'trigger',
};

export function objectEffects(statement: ParsedStatement): ObjectEffects {
  const stmt = body(statement);
  const effects: ObjectEffects = { creates: [], removes: [], alters: [], destroys: [] };
  const table = relationName(stmt.relation);
  const tableKey = table && unqualified(table);
  switch (statement.kind) {
    case 'CreateStmt':
      effects.creates.push(`relation:${tableKey}`);
      for (const column of findNodes(stmt.tableElts, 'ColumnDef'))
        effects.creates.push(`column:${tableKey}.${String(column.colname)}`);
      break;
    case 'CreateTableAsStmt':
      if (isObject(stmt.into)) {
        const created = unqualified(relationName(stmt.into.rel) ?? '');
        // Its columns come from a query we do not evaluate: `column:t.*` stands for all of them.
        effects.creates.push(`relation:${created}`, `column:${created}.*`);
      }
      break;
    case 'ViewStmt':
      effects.creates.push(`relation:${unqualified(relationName(stmt.view) ?? '')}`);
      break;
    case 'IndexStmt':
      if (stmt.idxname) effects.creates.push(`relation:${String(stmt.idxname)}`);
      break;
    case 'CreateSeqStmt':
      effects.creates.push(`relation:${unqualified(relationName(stmt.sequence) ?? '')}`);
      break;
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      effects.creates.push(`type:${unqualified(names(stmt.typeName).join('.'))}`);
      break;
    case 'CreateDomainStmt':
      effects.creates.push(`type:${unqualified(names(stmt.domainname).join('.'))}`);
      break;
    case 'CompositeTypeStmt':
      effects.creates.push(`type:${unqualified(relationName(stmt.typevar) ?? '')}`);
      break;
    case 'CreateSchemaStmt':
      effects.creates.push(`schema:${String(stmt.schemaname)}`);
      break;
    case 'CreateFunctionStmt':
      effects.creates.push(`function:${unqualified(names(stmt.funcname).join('.'))}`);
      break;
    case 'CreateExtensionStmt':
      effects.creates.push(`extension:${String(stmt.extname)}`);
      break;
    case 'CreateTrigStmt':
      effects.creates.push(`trigger:${String(stmt.trigname)}`);
      break;
    case 'DropStmt': {
      const kind = dropKinds[String(stmt.removeType)];
      if (!kind) break;
      for (const name of droppedObjects(statement))
        effects.removes.push({ key: `${kind}:${unqualified(name)}`, mustExist: !stmt.missing_ok });
      const dataKind = ({ OBJECT_TABLE: 'table', OBJECT_SCHEMA: 'schema' } as Record<string, string>)[
        String(stmt.removeType)
      ];
      if (dataKind) effects.destroys.push(...droppedObjects(statement).map((name) => `${dataKind} ${name}`));
      break;
    }
    case 'RenameStmt': {
      const from =
        stmt.renameType === 'OBJECT_COLUMN'
          ? `column:${tableKey}.${String(stmt.subname)}`
          : renamedObject(stmt.renameType, tableKey, stmt.subname);
      const to =
        stmt.renameType === 'OBJECT_COLUMN'
          ? `column:${tableKey}.${String(stmt.newname)}`
          : renamedObject(stmt.renameType, String(stmt.newname), stmt.newname);
      const type =
        ['OBJECT_TYPE', 'OBJECT_DOMAIN'].includes(String(stmt.renameType)) &&
        isObject(stmt.object) &&
        isObject(stmt.object.List)
          ? names(stmt.object.List.items)
          : [];
      if (type.length > 0) {
        effects.removes.push({ key: `type:${type[type.length - 1]}`, mustExist: !stmt.missing_ok });
        effects.creates.push(`type:${String(stmt.newname)}`);
      }
      if (from && to) {
        effects.removes.push({ key: from, mustExist: !stmt.missing_ok });
        effects.creates.push(to);
      }
      if (stmt.renameType === 'OBJECT_TABLE' && tableKey)
        effects.renamedRelation = { from: tableKey, to: String(stmt.newname) };
      break;
    }
    case 'AlterTableStmt':
      if (!stmt.missing_ok) effects.alters.push(`relation:${tableKey}`);
      for (const cmd of alterTableCommands(statement)) {
        if (cmd.subtype === 'AT_AddColumn' && cmd.def && 'ColumnDef' in cmd.def)
          effects.creates.push(`column:${tableKey}.${String(cmd.def.ColumnDef.colname)}`);
        if (cmd.subtype === 'AT_DropColumn') {
          effects.removes.push({ key: `column:${tableKey}.${String(cmd.name)}`, mustExist: !cmd.missing_ok });
          effects.destroys.push(`column ${table}.${String(cmd.name)}`);
        }
      }
      break;
    case 'TruncateStmt':
      effects.destroys.push(...findNodes(stmt.relations, 'RangeVar').map((r) => `rows of ${relationName(r)}`));
      break;
    case 'DropdbStmt':
      effects.destroys.push(`database ${String(stmt.dbname)}`);
      break;
  }
  // A DELETE deletes rows at the top of a statement and in its WITH queries alike (not in rule or function bodies).
  if (['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt'].includes(statement.kind))
    for (const deleted of findNodes(statement.node, 'DeleteStmt'))
      effects.destroys.push(`rows of ${relationName(deleted.relation)}`);
  return effects;
}

function renamedObject(renameType: unknown, tableKey: string | undefined, name: unknown): string | undefined {
  switch (renameType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_INDEX':
    case 'OBJECT_SEQUENCE':
      return tableKey && `relation:${tableKey}`;
    case 'OBJECT_SCHEMA':
      return `schema:${String(name)}`;
    default:
      return undefined;
  }
}
