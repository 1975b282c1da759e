import { parsePlPgSQLSync, parseSync, scanSync } from 'libpg-query';
import { deparseSync } from 'pgsql-parser';
import { isObject, names, type Json } from '../ast';
import type { ParsedStatement } from '../parse';

/**
 * Statements that need rights beyond the database or reach outside it: roles, the server's files
 * and programs, its configuration, other databases and servers, untrusted code. Review never runs
 * them (not even on the shadow): they become the question SW-ESC-PRIVILEGED, and run at apply only
 * if people chose to run them as written.
 *
 * A plain function over the parsed statements. It looks everywhere a statement can hide SQL: CTEs,
 * nested statements, function and DO bodies (SQL bodies parsed as SQL, PL/pgSQL bodies with
 * PostgreSQL's own PL/pgSQL parser), defaults, views. What it cannot read (a body in another
 * language, dynamic SQL, SQL given as text to a function) is flagged too: unknown is not safe.
 */
export interface PrivilegedStatement {
  statement: ParsedStatement;
  /** Why, one line each: `creates a role (roles belong to the whole cluster)`. */
  reasons: string[];
}

export function privilegedStatements(statements: ParsedStatement[]): PrivilegedStatement[] {
  return statements.flatMap((statement) => {
    const reasons = privilegeReasons(statement.node, statement.sql);
    return reasons.length ? [{ statement, reasons }] : [];
  });
}

/** Extensions PostgreSQL marks trusted (a database owner may create them): every other one needs a superuser. */
export const TRUSTED_EXTENSIONS: ReadonlySet<string> = new Set([
  'btree_gin',
  'btree_gist',
  'citext',
  'cube',
  'dict_int',
  'fuzzystrmatch',
  'hstore',
  'intarray',
  'isn',
  'lo',
  'ltree',
  'pgcrypto',
  'pg_trgm',
  'seg',
  'tablefunc',
  'tcn',
  'tsm_system_rows',
  'tsm_system_time',
  'unaccent',
  'uuid-ossp',
  'plpgsql',
  'plperl',
  'pltcl',
]);

/** Languages whose functions can do anything the server's OS user can. */
const UNTRUSTED_LANGUAGES = new Set([
  'c',
  'internal',
  'plpythonu',
  'plpython2u',
  'plpython3u',
  'plperlu',
  'pltclu',
  'plr',
  'pljavau',
  'plsh',
  'plv8u',
]);

/** Functions that reach outside the database, by what they reach. */
const FUNCTION_GROUPS: [string, string[]][] = [
  [
    "reads or writes the server's files",
    [
      'pg_read_file',
      'pg_read_binary_file',
      'pg_ls_dir',
      'pg_stat_file',
      'pg_ls_logdir',
      'pg_ls_waldir',
      'pg_ls_tmpdir',
      'pg_ls_archive_statusdir',
      'pg_ls_logicalsnapdir',
      'pg_ls_logicalmapdir',
      'pg_ls_replslotdir',
      'pg_ls_summariesdir',
      'pg_current_logfile',
      'pg_file_write',
      'pg_file_rename',
      'pg_file_unlink',
      'pg_file_sync',
      'pg_logdir_ls',
      'pg_read_file_old',
    ],
  ],
  [
    'uses large objects, which belong to the whole database and reach server files (lo_import, lo_export)',
    [
      'lo_import',
      'lo_export',
      'lo_from_bytea',
      'lo_get',
      'lo_put',
      'lo_create',
      'lo_creat',
      'lo_unlink',
      'lo_open',
      'lo_close',
      'loread',
      'lowrite',
      'lo_lseek',
      'lo_lseek64',
      'lo_tell',
      'lo_tell64',
      'lo_truncate',
      'lo_truncate64',
    ],
  ],
  [
    'reaches other servers (dblink, http)',
    ['dblink', 'http', 'http_get', 'http_post', 'http_put', 'http_patch', 'http_delete', 'http_head'],
  ],
  [
    'controls the server (configuration, backends, WAL, replication, statistics)',
    [
      'pg_reload_conf',
      'pg_rotate_logfile',
      'pg_terminate_backend',
      'pg_cancel_backend',
      'pg_promote',
      'pg_switch_wal',
      'pg_create_restore_point',
      'pg_backup_start',
      'pg_backup_stop',
      'pg_start_backup',
      'pg_stop_backup',
      'pg_create_physical_replication_slot',
      'pg_create_logical_replication_slot',
      'pg_drop_replication_slot',
      'pg_copy_physical_replication_slot',
      'pg_copy_logical_replication_slot',
      'pg_replication_slot_advance',
      'pg_logical_slot_get_changes',
      'pg_logical_slot_peek_changes',
      'pg_logical_slot_get_binary_changes',
      'pg_logical_slot_peek_binary_changes',
      'pg_log_backend_memory_contexts',
      'pg_import_system_collations',
      'pg_wal_replay_pause',
      'pg_wal_replay_resume',
      'pg_sync_replication_slots',
    ],
  ],
  [
    'runs SQL given as text, which cannot be read before it runs',
    ['query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'ts_stat'],
  ],
];
/** Name prefixes of whole families (dblink_exec, pg_stat_reset_shared, pg_replication_origin_create...). */
const FUNCTION_PREFIXES: [string, string][] = [
  ['dblink_', 'reaches other servers (dblink, http)'],
  ['pg_stat_reset', 'controls the server (configuration, backends, WAL, replication, statistics)'],
  ['pg_replication_origin_', 'controls the server (configuration, backends, WAL, replication, statistics)'],
];
const FUNCTIONS = new Map(FUNCTION_GROUPS.flatMap(([why, list]) => list.map((name) => [name, why] as const)));

/** Catalogs only a superuser may read: password hashes, user mappings' secrets, the server's configuration files. */
const PROTECTED_CATALOGS = new Set([
  'pg_authid',
  'pg_shadow',
  'pg_user_mapping',
  'pg_user_mappings',
  'pg_largeobject',
  'pg_statistic',
  'pg_file_settings',
  'pg_hba_file_rules',
  'pg_ident_file_mappings',
  'pg_config',
  'pg_shmem_allocations',
  'pg_backend_memory_contexts',
  'pg_subscription',
]);

/** Settings a plain role may not change, or that change who the session is or what it loads. */
const PRIVILEGED_SETTINGS = new Set([
  'role',
  'session_authorization',
  'session_replication_role',
  'local_preload_libraries',
  'session_preload_libraries',
  'shared_preload_libraries',
  'dynamic_library_path',
  'lo_compat_privileges',
  'allow_system_table_mods',
  'allow_in_place_tablespaces',
  'ignore_system_indexes',
  'ignore_checksum_failure',
  'ignore_invalid_pages',
  'zero_damaged_pages',
  'jit_provider',
  'temp_file_limit',
  'max_stack_depth',
  'commit_delay',
]);
const PRIVILEGED_SETTING_PREFIXES = [
  'log_',
  'debug_',
  'trace_',
  'track_',
  'wal_',
  'archive_',
  'restore_',
  'ssl_',
  'auto_explain.',
];

function privilegedSetting(name: string): boolean {
  const lower = name.toLowerCase();
  return PRIVILEGED_SETTINGS.has(lower) || PRIVILEGED_SETTING_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** What each kind of statement does that needs cluster-wide rights; DropStmt and RenameStmt by the kind of object. */
const STATEMENTS: Record<string, string> = {
  CreateRoleStmt: 'creates a role (roles belong to the whole cluster)',
  AlterRoleStmt: 'changes a role (roles belong to the whole cluster)',
  AlterRoleSetStmt: "changes a role's settings (roles belong to the whole cluster)",
  DropRoleStmt: 'drops a role (roles belong to the whole cluster)',
  GrantRoleStmt: 'grants or revokes membership in a role (every right of that role)',
  ReassignOwnedStmt: 'hands every object of a role to another (REASSIGN OWNED)',
  DropOwnedStmt: 'drops every object of a role (DROP OWNED)',
  AlterSystemStmt: "changes the server's configuration file (ALTER SYSTEM)",
  LoadStmt: 'loads a shared library into the server (LOAD)',
  CreatePLangStmt: 'creates a procedural language',
  CreatedbStmt: 'creates a database',
  DropdbStmt: 'drops a database',
  AlterDatabaseStmt: 'changes a database',
  AlterDatabaseSetStmt: "changes a database's settings",
  AlterDatabaseRefreshCollStmt: "changes a database's collation version",
  CreateTableSpaceStmt: 'creates a tablespace (a directory on the server)',
  DropTableSpaceStmt: 'drops a tablespace',
  AlterTableSpaceOptionsStmt: 'changes a tablespace',
  AlterTableMoveAllStmt: 'moves everything in a tablespace',
  CreateEventTrigStmt: 'creates an event trigger (runs on every DDL statement of every role)',
  AlterEventTrigStmt: 'changes an event trigger',
  CreatePublicationStmt: 'creates a publication (replication)',
  AlterPublicationStmt: 'changes a publication (replication)',
  CreateSubscriptionStmt: 'creates a subscription (connects to another server)',
  AlterSubscriptionStmt: 'changes a subscription (connects to another server)',
  DropSubscriptionStmt: 'drops a subscription',
  CreateForeignServerStmt: 'creates a foreign server (connects to another server)',
  AlterForeignServerStmt: 'changes a foreign server',
  CreateFdwStmt: 'creates a foreign-data wrapper',
  AlterFdwStmt: 'changes a foreign-data wrapper',
  CreateUserMappingStmt: 'creates a user mapping (credentials for another server)',
  AlterUserMappingStmt: 'changes a user mapping (credentials for another server)',
  DropUserMappingStmt: 'drops a user mapping',
  CreateForeignTableStmt: 'creates a foreign table (reads another server)',
  ImportForeignSchemaStmt: 'imports foreign tables (reads another server)',
  CreateAmStmt: 'creates an access method',
  CreateOpClassStmt: 'creates an operator class (superuser only)',
  CreateOpFamilyStmt: 'creates an operator family (superuser only)',
  AlterOpFamilyStmt: 'changes an operator family (superuser only)',
  SecLabelStmt: 'sets a security label',
  CheckPointStmt: 'forces a checkpoint of the whole server',
  AlterOwnerStmt: 'changes an owner (OWNER TO)',
};

const CLUSTER_OBJECTS: Record<string, string> = {
  OBJECT_ROLE: 'a role',
  OBJECT_DATABASE: 'a database',
  OBJECT_TABLESPACE: 'a tablespace',
  OBJECT_LANGUAGE: 'a procedural language',
  OBJECT_EVENT_TRIGGER: 'an event trigger',
  OBJECT_PUBLICATION: 'a publication',
  OBJECT_SUBSCRIPTION: 'a subscription',
  OBJECT_FOREIGN_SERVER: 'a foreign server',
  OBJECT_FDW: 'a foreign-data wrapper',
  OBJECT_ACCESS_METHOD: 'an access method',
  OBJECT_LARGEOBJECT: 'a large object',
  OBJECT_PARAMETER_ACL: 'a server setting',
};

/** Nested bodies are parsed in turn; a deeper nesting than this is flagged rather than followed. */
const MAX_DEPTH = 8;

/**
 * Why a statement needs cluster-wide rights or reaches outside the database; empty when it does
 * not. `text` is the statement's own SQL (a PL/pgSQL body is parsed from it).
 */
export function privilegeReasons(node: unknown, text: string, depth = 0): string[] {
  const reasons: string[] = [];
  const add = (reason: string) => {
    if (!reasons.includes(reason)) reasons.push(reason);
  };
  if (depth > MAX_DEPTH) return ['nests SQL in bodies deeper than schemawright follows'];
  const visit = (value: unknown, top: boolean): void => {
    if (Array.isArray(value)) return value.forEach((item) => visit(item, false));
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (isObject(child)) {
        for (const reason of nodeReasons(key, child, top ? text : undefined, depth)) add(reason);
      }
      visit(child, false);
    }
  };
  visit(node, true);
  return reasons;
}

/** The reasons one node gives by itself (its children are visited by the caller). */
function nodeReasons(key: string, node: Json, text: string | undefined, depth: number): string[] {
  const fixed = STATEMENTS[key];
  if (fixed) return [fixed];
  switch (key) {
    // Functions are named by calls, by CREATE CAST/GRANT/ALTER FUNCTION (ObjectWithArgs), by triggers,
    // and by CREATE OPERATOR/AGGREGATE/TYPE options (`FUNCTION = pg_read_file`): a column is not a call.
    case 'FuncCall':
      return [...functionReason(names(node.funcname)), ...funcCallReasons(node)];
    case 'ObjectWithArgs':
      return functionReason(names(node.objname));
    case 'DefElem':
      return isObject(node.arg) && isObject(node.arg.TypeName)
        ? functionReason(names(node.arg.TypeName.names))
        : functionReason(isObject(node.arg) && isObject(node.arg.List) ? names(node.arg.List.items) : []);
    case 'RangeVar':
      return catalogReadReasons(node);
    case 'DropStmt':
    case 'RenameStmt': {
      const kind = CLUSTER_OBJECTS[String(node.removeType ?? node.renameType)];
      return kind ? [`${key === 'DropStmt' ? 'drops' : 'renames'} ${kind}`] : [];
    }
    case 'GrantStmt': {
      const kind = CLUSTER_OBJECTS[String(node.objtype)];
      return kind ? [`grants or revokes rights on ${kind}`] : [];
    }
    case 'AlterDefaultPrivilegesStmt':
      return optionsOf(node.options).has('roles') ? ["changes another role's default privileges (FOR ROLE)"] : [];
    case 'CreateSchemaStmt':
      return isObject(node.authrole) &&
        isObject(node.authrole.RoleSpec) &&
        node.authrole.RoleSpec.roletype === 'ROLESPEC_CSTRING'
        ? ['creates a schema owned by another role (AUTHORIZATION)']
        : [];
    case 'AlterTableCmd':
      return alterTableReasons(node);
    case 'CreateStmt':
    case 'IndexStmt':
    case 'CreateTableAsStmt':
      return node.tablespacename || node.tableSpace || (isObject(node.into) && node.into.tableSpaceName)
        ? ['places data in a tablespace (a directory on the server)']
        : [];
    case 'CopyStmt':
      if (node.is_program)
        return [`runs a program on the database server (COPY ${node.is_from ? 'FROM' : 'TO'} PROGRAM)`];
      return typeof node.filename === 'string'
        ? [
            `${node.is_from ? 'reads' : 'writes'} a file on the database server (COPY ${node.is_from ? 'FROM' : 'TO'} '${node.filename}')`,
          ]
        : [];
    case 'CreateExtensionStmt':
    case 'AlterExtensionStmt':
    case 'AlterExtensionContentsStmt':
      return TRUSTED_EXTENSIONS.has(String(node.extname))
        ? []
        : [
            `${key === 'CreateExtensionStmt' ? 'creates' : 'changes'} the extension ${String(node.extname)}, which PostgreSQL does not mark trusted (it needs a superuser)`,
          ];
    case 'VariableSetStmt':
      return settingReasons(String(node.name ?? ''), node.kind === 'VAR_RESET' ? 'resets' : 'sets');
    case 'DefineStmt':
      return node.kind === 'OBJECT_TSPARSER' || node.kind === 'OBJECT_TSTEMPLATE'
        ? ['creates a text search parser or template (superuser only)']
        : [];
    case 'DoStmt':
      return codeReasons(
        'a DO block',
        languageOf(node.args) ?? 'plpgsql',
        bodyOf(node.args),
        text ?? `DO ${dollarQuoted(bodyOf(node.args) ?? '')}`,
        depth,
      );
    case 'CreateFunctionStmt':
      return functionDefinitionReasons(node, text, depth);
    case 'AlterFunctionStmt':
      return routineOptionReasons(node.actions);
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
    case 'AlterTableStmt':
    case 'RuleStmt':
      return systemCatalogWrite(node.relation);
    case 'CreateTrigStmt':
      return [...systemCatalogWrite(node.relation), ...functionReason(names(node.funcname))];
    case 'TruncateStmt':
      return (Array.isArray(node.relations) ? node.relations : []).flatMap((r) =>
        isObject(r) ? systemCatalogWrite(r.RangeVar) : [],
      );
    default:
      return [];
  }
}

/** A function named by a (possibly qualified) name, by its last part: `pg_catalog.pg_read_file` is pg_read_file. */
function functionReason(name: string[]): string[] {
  const lower = (name[name.length - 1] ?? '').toLowerCase();
  const why = FUNCTIONS.get(lower) ?? FUNCTION_PREFIXES.find(([prefix]) => lower.startsWith(prefix))?.[1];
  return why ? [`calls or names ${lower}, which ${why}`] : [];
}

function funcCallReasons(node: Json): string[] {
  const parts = names(node.funcname).map((n) => n.toLowerCase());
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2 && parts[0] === 'cron')
    return [`calls cron.${name}, which schedules jobs outside this migration`];
  if (name !== 'set_config') return [];
  const args = Array.isArray(node.args) ? node.args : [];
  const setting = constantText(args[0]);
  if (setting === undefined) return ['calls set_config with a setting name that is not a constant'];
  return settingReasons(setting, 'sets');
}

function settingReasons(name: string, verb: string): string[] {
  if (name === 'role' || name === 'session_authorization')
    return [`${verb} the session's ${name === 'role' ? 'role (SET ROLE)' : 'user (SET SESSION AUTHORIZATION)'}`];
  return privilegedSetting(name)
    ? [`${verb} ${name}, a setting only a superuser may change or one that loads code`]
    : [];
}

function catalogReadReasons(node: Json): string[] {
  const name = String(node.relname ?? '').toLowerCase();
  const schema = typeof node.schemaname === 'string' ? node.schemaname.toLowerCase() : undefined;
  return PROTECTED_CATALOGS.has(name) && (schema === undefined || schema === 'pg_catalog')
    ? [`reads ${name}, which only a superuser may read`]
    : [];
}

function systemCatalogWrite(relation: unknown): string[] {
  if (!isObject(relation)) return [];
  const name = String(relation.relname ?? '').toLowerCase();
  const schema = typeof relation.schemaname === 'string' ? relation.schemaname.toLowerCase() : undefined;
  // pg_catalog comes first in every search path: an unqualified pg_* name is a system catalog.
  const system =
    schema === 'pg_catalog' ||
    schema === 'pg_toast' ||
    schema === 'information_schema' ||
    (schema === undefined && name.startsWith('pg_'));
  return system ? [`changes the system catalog ${schema ? `${schema}.` : ''}${name}`] : [];
}

function alterTableReasons(node: Json): string[] {
  switch (node.subtype) {
    case 'AT_ChangeOwner':
      return ['changes an owner (OWNER TO)'];
    case 'AT_SetTableSpace':
      return ['moves a table or index to another tablespace'];
    case 'AT_EnableTrigAll':
    case 'AT_DisableTrigAll':
      return ['switches all triggers on or off, internal constraint triggers included (superuser only)'];
    default:
      return [];
  }
}

function functionDefinitionReasons(node: Json, text: string | undefined, depth: number): string[] {
  const options = optionsOf(node.options);
  const kind = node.is_procedure ? 'a procedure' : 'a function';
  const reasons = routineOptionReasons(node.options);
  // A SQL-standard body (BEGIN ATOMIC, RETURN) is part of the tree and visited with it.
  if (node.sql_body) return reasons;
  const language = (stringOf(options.get('language')) ?? 'sql').toLowerCase();
  const as = options.get('as');
  const body =
    isObject(as) && isObject(as.List) && Array.isArray(as.List.items) && as.List.items.length === 1
      ? stringOf(as.List.items[0])
      : undefined;
  const source = text ?? safeDeparse(node);
  return [...reasons, ...codeReasons(kind, language, body, source, depth)];
}

/** SECURITY DEFINER and SET clauses of CREATE/ALTER FUNCTION and PROCEDURE. */
function routineOptionReasons(list: unknown): string[] {
  const reasons: string[] = [];
  for (const option of Array.isArray(list) ? list : []) {
    const def = isObject(option) && isObject(option.DefElem) ? option.DefElem : undefined;
    if (!def) continue;
    if (
      def.defname === 'security' &&
      isObject(def.arg) &&
      isObject(def.arg.Boolean) &&
      def.arg.Boolean.boolval === true
    ) {
      reasons.push("defines a SECURITY DEFINER routine (it runs with its owner's rights, whoever calls it)");
    }
    if (def.defname === 'set' && isObject(def.arg) && isObject(def.arg.VariableSetStmt)) {
      reasons.push(...settingReasons(String(def.arg.VariableSetStmt.name ?? ''), 'sets'));
    }
  }
  return reasons;
}

/** The body of a DO block or a routine, by its language: SQL and PL/pgSQL are read, anything else is not. */
function codeReasons(
  what: string,
  language: string,
  body: string | undefined,
  source: string | undefined,
  depth: number,
): string[] {
  const lower = language.toLowerCase();
  if (UNTRUSTED_LANGUAGES.has(lower))
    return [`${what} in ${lower}, an untrusted language (it can do anything the server's operating-system user can)`];
  if (lower === 'sql') return body === undefined ? [] : sqlTextReasons(body, depth + 1, `the body of ${what}`);
  if (lower !== 'plpgsql') return [`${what} in ${lower}, whose body schemawright cannot read`];
  if (source === undefined) return [`${what} in plpgsql whose body schemawright could not read`];
  return plpgsqlReasons(what, source, depth + 1);
}

/** Every statement of an SQL text; one that does not parse is flagged, as nothing can be said of it. */
function sqlTextReasons(sql: string, depth: number, what: string): string[] {
  let parsed;
  try {
    parsed = parseSync(sql);
  } catch {
    return [`${what} does not parse as SQL, so schemawright cannot tell what it runs`];
  }
  const bytes = Buffer.from(sql, 'utf8');
  return (parsed.stmts ?? []).flatMap((raw) => {
    const start = raw.stmt_location ?? 0;
    const text = bytes.subarray(start, raw.stmt_len ? start + raw.stmt_len : bytes.length).toString('utf8');
    return privilegeReasons(raw.stmt, text, depth);
  });
}

/** PL/pgSQL, read with PostgreSQL's own PL/pgSQL parser: dynamic SQL is unknown; every embedded statement and expression is checked. */
function plpgsqlReasons(what: string, source: string, depth: number): string[] {
  let tree: unknown;
  try {
    tree = parsePlPgSQLSync(source);
  } catch (error) {
    return [
      `${what} in plpgsql whose body does not compile (${(error as Error).message}), so schemawright cannot tell what it runs`,
    ];
  }
  const reasons = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === 'PLpgSQL_stmt_dynexecute' || key === 'PLpgSQL_stmt_dynfors' || key === 'dynquery') {
        reasons.add(`${what} runs dynamic SQL (EXECUTE), which cannot be read before it runs`);
      }
      if (key === 'PLpgSQL_expr' && isObject(child))
        for (const reason of expressionReasons(String(child.query ?? ''), Number(child.parseMode ?? 0), depth))
          reasons.add(reason);
      visit(child);
    }
  };
  visit(tree);
  return [...reasons];
}

/**
 * One PL/pgSQL expression: a statement (mode 0), an expression (2), an assignment `target := value`
 * (3 to 5; the target may hold subscripts). A type name (1) runs nothing.
 */
function expressionReasons(query: string, mode: number, depth: number): string[] {
  if (mode === 1) return [];
  if (mode === 0) return sqlTextReasons(query, depth, 'a statement in a PL/pgSQL body');
  let parts = [query];
  if (mode >= 3) {
    const tokens = scanSync(query).tokens;
    const assign = tokens.find((t) => t.text === ':=' || t.text === '=');
    parts = assign ? [query.slice(0, assign.start), query.slice(assign.end)] : [query];
  }
  return parts.flatMap((part) => sqlTextReasons(`SELECT ${part}`, depth, 'an expression in a PL/pgSQL body'));
}

function optionsOf(list: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const option of Array.isArray(list) ? list : []) {
    if (isObject(option) && isObject(option.DefElem)) map.set(String(option.DefElem.defname), option.DefElem.arg);
  }
  return map;
}

function stringOf(value: unknown): string | undefined {
  return isObject(value) && isObject(value.String) ? String(value.String.sval) : undefined;
}

function languageOf(args: unknown): string | undefined {
  return stringOf(optionsOf(args).get('language'));
}

function bodyOf(args: unknown): string | undefined {
  return stringOf(optionsOf(args).get('as'));
}

function constantText(node: unknown): string | undefined {
  if (!isObject(node) || !isObject(node.A_Const)) return undefined;
  const sval = node.A_Const.sval;
  return isObject(sval) && typeof sval.sval === 'string' ? sval.sval : undefined;
}

function dollarQuoted(body: string): string {
  let tag = 'sw';
  while (body.includes(`$${tag}$`)) tag += '_';
  return `$${tag}$${body}$${tag}$`;
}

function safeDeparse(node: Json): string | undefined {
  try {
    return deparseSync({ CreateFunctionStmt: node } as never);
  } catch {
    return undefined;
  }
}

/** SQL that must be flagged (with one reason it must give) and SQL that must not: run as tests. */
export const examples: { flagged: { sql: string; reason: RegExp }[]; clean: string[] } = {
  flagged: [
    { sql: "CREATE ROLE evil LOGIN SUPERUSER PASSWORD 'x'", reason: /creates a role/ },
    { sql: 'CREATE USER evil', reason: /creates a role/ },
    { sql: 'CREATE GROUP evil', reason: /creates a role/ },
    { sql: 'ALTER ROLE app SUPERUSER', reason: /changes a role/ },
    { sql: 'ALTER USER app SET search_path = x', reason: /changes a role's settings/ },
    { sql: 'DROP ROLE IF EXISTS app', reason: /drops a role/ },
    { sql: 'GRANT pg_read_server_files TO app', reason: /membership in a role/ },
    { sql: 'REVOKE admin FROM app', reason: /membership in a role/ },
    { sql: "ALTER SYSTEM SET archive_command = 'curl evil'", reason: /ALTER SYSTEM/ },
    {
      sql: "COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'",
      reason: /runs a program on the database server \(COPY TO PROGRAM\)/,
    },
    { sql: "COPY loot FROM PROGRAM 'cat /etc/passwd'", reason: /COPY FROM PROGRAM/ },
    { sql: "COPY loot FROM '/etc/passwd'", reason: /reads a file on the database server/ },
    { sql: "COPY loot TO '/tmp/loot.csv' WITH (FORMAT csv)", reason: /writes a file on the database server/ },
    { sql: "SELECT pg_read_file('/etc/passwd')", reason: /pg_read_file, which reads or writes the server's files/ },
    { sql: "SELECT pg_catalog.pg_read_binary_file('/etc/passwd')", reason: /pg_read_binary_file/ },
    { sql: 'SELECT "pg_ls_dir"(\'/\')', reason: /pg_ls_dir/ },
    { sql: "SELECT PG_CATALOG.PG_STAT_FILE('/etc/passwd')", reason: /pg_stat_file/ },
    { sql: 'SELECT U&"pg\\005fread_file"(\'/etc/passwd\')', reason: /pg_read_file/ },
    {
      sql: "CREATE TABLE loot AS WITH f AS (SELECT lo_import('/etc/passwd') AS id) SELECT id FROM f",
      reason: /lo_import/,
    },
    { sql: "INSERT INTO loot SELECT lo_export(1, '/tmp/x')", reason: /lo_export/ },
    { sql: "SELECT dblink_exec('host=evil', 'select 1')", reason: /other servers/ },
    { sql: "SELECT * FROM dblink('host=evil', 'select 1') AS t(a int)", reason: /dblink/ },
    { sql: "CREATE TABLE loot (body text DEFAULT pg_read_file('/etc/passwd'))", reason: /pg_read_file/ },
    { sql: "CREATE VIEW v AS SELECT * FROM pg_ls_dir('/')", reason: /pg_ls_dir/ },
    { sql: 'CREATE TABLE hashes AS SELECT rolpassword FROM pg_authid', reason: /reads pg_authid/ },
    { sql: 'UPDATE pg_catalog.pg_class SET relname = relname', reason: /system catalog pg_catalog.pg_class/ },
    { sql: "UPDATE pg_authid SET rolsuper = true WHERE rolname = 'app'", reason: /system catalog pg_authid/ },
    { sql: "SELECT query_to_xml('select pg_read_file(''/etc/passwd'')', true, true, '')", reason: /SQL given as text/ },
    { sql: 'GRANT EXECUTE ON FUNCTION pg_read_file(text) TO PUBLIC', reason: /pg_read_file/ },
    { sql: 'CREATE OPERATOR !!! (FUNCTION = pg_read_file, RIGHTARG = text)', reason: /pg_read_file/ },
    { sql: "LOAD 'evil'", reason: /LOAD/ },
    { sql: 'CREATE EXTENSION dblink', reason: /extension dblink, which PostgreSQL does not mark trusted/ },
    { sql: 'CREATE EXTENSION IF NOT EXISTS adminpack', reason: /adminpack/ },
    { sql: 'CREATE EXTENSION plpython3u', reason: /plpython3u/ },
    {
      sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS \'import os; os.system("x")\'',
      reason: /untrusted language/,
    },
    { sql: "CREATE FUNCTION f() RETURNS int LANGUAGE c AS 'evil.so', 'f'", reason: /in c, an untrusted language/ },
    { sql: "CREATE FUNCTION f(text) RETURNS text LANGUAGE internal AS 'pg_read_file_off'", reason: /in internal/ },
    { sql: 'CREATE PROCEDURE p() LANGUAGE plperlu AS \'system("x")\'', reason: /a procedure in plperlu/ },
    {
      sql: "CREATE FUNCTION f() RETURNS int LANGUAGE plv8 AS 'return 1'",
      reason: /plv8, whose body schemawright cannot read/,
    },
    {
      sql: 'CREATE FUNCTION r(text) RETURNS text LANGUAGE sql AS $$ SELECT pg_read_file($1) $$',
      reason: /pg_read_file/,
    },
    {
      sql: 'CREATE FUNCTION r(p text) RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT pg_read_file(p); END',
      reason: /pg_read_file/,
    },
    {
      sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$',
      reason: /SECURITY DEFINER/,
    },
    { sql: 'ALTER FUNCTION f() SECURITY DEFINER', reason: /SECURITY DEFINER/ },
    { sql: 'ALTER FUNCTION f() SET session_preload_libraries = evil', reason: /session_preload_libraries/ },
    { sql: 'CREATE LANGUAGE plsh', reason: /extension plsh/ },
    { sql: 'CREATE LANGUAGE plsh HANDLER plsh_handler', reason: /creates a procedural language/ },
    { sql: 'SET ROLE postgres', reason: /SET ROLE/ },
    { sql: 'SET SESSION AUTHORIZATION postgres', reason: /SET SESSION AUTHORIZATION/ },
    { sql: 'RESET ROLE', reason: /resets the session's role/ },
    { sql: 'SET session_replication_role = replica', reason: /session_replication_role/ },
    { sql: "SELECT set_config('log_statement', 'none', false)", reason: /log_statement/ },
    { sql: "SELECT set_config(current_setting('x'), 'y', false)", reason: /not a constant/ },
    { sql: 'ALTER DATABASE shop SET search_path = evil', reason: /database's settings/ },
    { sql: 'ALTER DATABASE shop OWNER TO evil', reason: /changes an owner|changes a database/ },
    { sql: 'CREATE DATABASE other', reason: /creates a database/ },
    { sql: 'DROP DATABASE other', reason: /drops a database/ },
    { sql: "CREATE TABLESPACE fast LOCATION '/tmp'", reason: /creates a tablespace/ },
    { sql: 'ALTER TABLE orders SET TABLESPACE fast', reason: /another tablespace/ },
    { sql: 'CREATE TABLE t (id int) TABLESPACE fast', reason: /places data in a tablespace/ },
    { sql: 'CREATE EVENT TRIGGER e ON ddl_command_start EXECUTE FUNCTION f()', reason: /event trigger/ },
    { sql: 'CREATE PUBLICATION p FOR ALL TABLES', reason: /publication/ },
    { sql: "CREATE SUBSCRIPTION s CONNECTION 'host=evil' PUBLICATION p", reason: /subscription/ },
    { sql: "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'evil')", reason: /foreign server/ },
    { sql: 'CREATE FOREIGN DATA WRAPPER w', reason: /foreign-data wrapper/ },
    { sql: "CREATE USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (user 'x', password 'y')", reason: /user mapping/ },
    { sql: 'ALTER TABLE orders OWNER TO evil', reason: /OWNER TO/ },
    { sql: 'ALTER SCHEMA app OWNER TO evil', reason: /OWNER TO/ },
    { sql: 'REASSIGN OWNED BY app TO evil', reason: /REASSIGN OWNED/ },
    { sql: 'ALTER TABLE orders DISABLE TRIGGER ALL', reason: /internal constraint triggers/ },
    { sql: "DO $$ BEGIN INSERT INTO loot SELECT pg_read_file('/etc/hostname'); END $$", reason: /pg_read_file/ },
    {
      sql: "DO $$ DECLARE x text := pg_catalog.pg_read_file('/etc/hostname'); BEGIN NULL; END $$",
      reason: /pg_read_file/,
    },
    { sql: "DO $$ DECLARE x text; BEGIN x := pg_ls_dir('/'); END $$", reason: /pg_ls_dir/ },
    { sql: "DO $$ BEGIN IF pg_read_file('/x') IS NULL THEN RAISE NOTICE 'n'; END IF; END $$", reason: /pg_read_file/ },
    { sql: "DO $$ BEGIN COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'; END $$", reason: /COPY TO PROGRAM/ },
    { sql: 'DO $$ BEGIN CREATE ROLE evil; END $$', reason: /creates a role/ },
    { sql: "DO $$ BEGIN EXECUTE format('CREATE %s evil', 'ROLE'); END $$", reason: /dynamic SQL \(EXECUTE\)/ },
    { sql: "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT 1' LOOP END LOOP; END $$", reason: /dynamic SQL/ },
    { sql: "DO $$ BEGIN DO $i$ BEGIN PERFORM lo_import('/etc/passwd'); END $i$; END $$", reason: /lo_import/ },
    { sql: "DO LANGUAGE plpython3u 'import os'", reason: /a DO block in plpython3u/ },
    { sql: 'DO $$ BEGIN PERFORM FROM nowhere WHERE $$', reason: /cannot tell what it runs/ },
    {
      sql: "CREATE FUNCTION t() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := pg_read_file('/etc/passwd'); RETURN NEW; END $$",
      reason: /a function in plpgsql|pg_read_file/,
    },
    {
      sql: "CREATE FUNCTION d() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'SELECT 1'; END $$",
      reason: /dynamic SQL/,
    },
    { sql: "SELECT cron.schedule('* * * * *', 'select 1')", reason: /cron.schedule/ },
    { sql: "PREPARE p AS SELECT pg_read_file('/etc/passwd'); EXECUTE p", reason: /pg_read_file/ },
  ],
  clean: [
    'CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text)',
    'ALTER TABLE orders ADD COLUMN placed_at timestamptz NOT NULL DEFAULT now()',
    'CREATE INDEX CONCURRENTLY orders_placed_at ON orders (placed_at)',
    'COPY orders FROM STDIN',
    'COPY (SELECT id FROM orders) TO STDOUT WITH (FORMAT csv)',
    'CREATE EXTENSION IF NOT EXISTS pg_trgm',
    'CREATE EXTENSION "uuid-ossp"',
    'GRANT SELECT ON orders TO reporting',
    'REVOKE ALL ON orders FROM PUBLIC',
    'CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$',
    'CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$',
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'x') THEN ALTER TABLE orders ADD CONSTRAINT x CHECK (id > 0); END IF; END $$",
    "SET lock_timeout = '5s'",
    'SET search_path = app, public',
    "SELECT set_config('app.tenant', '42', true)",
    "COMMENT ON COLUMN orders.note IS 'pg_read_file is not called here'",
    "INSERT INTO orders (note) VALUES ('COPY x TO PROGRAM ''y''')",
    'SELECT count(*) FROM pg_class',
    'CREATE SCHEMA app',
    'CREATE SCHEMA AUTHORIZATION CURRENT_USER',
    'ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO reporting',
    'CREATE TABLE pg_readers (id int)',
    'DROP EXTENSION IF EXISTS pg_trgm',
    'SELECT http, lo_import FROM links',
    'CREATE AGGREGATE total (int) (SFUNC = int4pl, STYPE = int)',
  ],
};
