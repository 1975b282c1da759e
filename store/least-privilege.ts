import { Client, type Pool } from 'pg';
import { ConfigError } from '../config/environment';
import { migrateWith } from './database';
import { quoteIdent } from '../postgres/names';
import { DEFAULT_STORE_ROLES, type StoreRoles } from './store-roles';

/**
 * What the application may do to each store table, and nothing more. The audit log and its
 * checkpoints are read-only to it: it appends through audit_append and audit_checkpoint_append.
 * A table missing here stops `store setup`, so a new migration must say what the application may do.
 */
const APPLICATION_PRIVILEGES: Record<string, string> = {
  store_migrations: 'SELECT',
  artifacts: 'SELECT, INSERT',
  audit_log: 'SELECT',
  audit_checkpoints: 'SELECT',
  approval_tokens: 'SELECT, INSERT, UPDATE',
  slack_threads: 'SELECT, INSERT',
  slack_question_messages: 'SELECT, INSERT, UPDATE',
  captured_mail: 'SELECT, INSERT',
  notification_deliveries: 'SELECT, INSERT',
};

const APPEND_FUNCTIONS = [
  'audit_append(timestamptz, text, text, text, text, text, jsonb, text, text)',
  'audit_checkpoint_append(bigint, bigint, text, jsonb, timestamptz, text, text)',
];

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface StoreSetup {
  /** Migrations applied by this run. */
  applied: string[];
  /** DATABASE_URL for the application: the admin URL with the application role and its password. */
  appUrl: string;
}

/**
 * Sets up (or brings up to date) the store at `adminUrl`, connecting as a superuser or a role with
 * CREATEROLE that may create in the database: creates both roles, moves the store's objects to the
 * owner, runs the migrations as the owner, and grants the application exactly APPLICATION_PRIVILEGES.
 * Idempotent: run it again after an upgrade to apply new migrations. `appPassword` (re)sets the
 * application role's password.
 */
export async function setupStore(
  adminUrl: string,
  appPassword: string,
  roles: StoreRoles = DEFAULT_STORE_ROLES,
): Promise<StoreSetup> {
  for (const role of [roles.owner, roles.app]) {
    if (!ROLE_NAME.test(role))
      throw new ConfigError(
        `role name '${role}' is not a plain lower-case identifier: use letters, digits and _ (like schemawright_app).`,
      );
  }
  if (roles.owner === roles.app)
    throw new ConfigError(
      'the owner role and the application role must differ: the application must not own what it could rewrite.',
    );
  const client = new Client({ connectionString: adminUrl, application_name: 'schemawright-store-setup' });
  await client.connect();
  try {
    const me = (
      await client.query<{ name: string; superuser: boolean; createrole: boolean }>(
        'SELECT current_user AS name, rolsuper AS superuser, rolcreaterole AS createrole FROM pg_roles WHERE rolname = current_user',
      )
    ).rows[0];
    if (!me.superuser && !me.createrole) {
      throw new ConfigError(
        `--owner-url connects as ${me.name}, which may not create roles: connect as a superuser, or as a role with CREATEROLE that may create in the store's database.`,
      );
    }
    if ([roles.owner, roles.app].includes(me.name))
      throw new ConfigError(
        `--owner-url connects as ${me.name}: connect as an administrator, not as one of the roles it sets up.`,
      );
    await ensureRole(client, roles.owner, 'NOLOGIN');
    await ensureRole(client, roles.app, `LOGIN PASSWORD ${client.escapeLiteral(appPassword)}`);
    // The application is no member of the owner, so it can never act as it.
    await client.query(`REVOKE ${quoteIdent(roles.owner)} FROM ${quoteIdent(roles.app)}`);
    if (!me.superuser) await client.query(`GRANT ${quoteIdent(roles.owner)} TO CURRENT_USER`);
    await client.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${quoteIdent(roles.owner)}`);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${quoteIdent(roles.app)}`);
    // Before PostgreSQL 15 every role may create in public: an object there could stand in for ours.
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await takeOwnership(client, roles.owner);

    await client.query(`SET ROLE ${quoteIdent(roles.owner)}`);
    const applied = await migrateWith(client);
    await grantApplication(client, roles.app);
    await client.query('RESET ROLE');

    const url = new URL(adminUrl);
    url.username = encodeURIComponent(roles.app);
    url.password = encodeURIComponent(appPassword);
    return { applied, appUrl: url.toString() };
  } finally {
    await client.end();
  }
}

/** Creates the role, or resets the attributes of one that exists: never a superuser, never replication. */
async function ensureRole(client: Client, role: string, login: string): Promise<void> {
  const attributes = `${login} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT`;
  const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount;
  if (!exists) {
    const created = await client.query(`CREATE ROLE ${quoteIdent(role)} ${attributes}`).then(
      () => true,
      (error: { code?: string }) => {
        if (error.code !== '42710') throw error; // created by a concurrent setup
        return false;
      },
    );
    if (created) return;
  }
  await client.query(`ALTER ROLE ${quoteIdent(role)} ${attributes}`);
}

/** A store created before the roles existed belongs to whoever migrated it: its objects move to the owner. */
async function takeOwnership(client: Client, owner: string): Promise<void> {
  const { rows } = await client.query<{ statement: string }>(
    `SELECT format('ALTER %s %s OWNER TO %I', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass, $1::text) AS statement
       FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S') AND pg_get_userbyid(c.relowner) <> $1
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
     UNION ALL
     SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, $1::text)
       FROM pg_proc p
      WHERE p.pronamespace = 'public'::regnamespace AND pg_get_userbyid(p.proowner) <> $1
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
    [owner],
  );
  for (const { statement } of rows) await client.query(statement);
}

/** Run as the owner: the application gets APPLICATION_PRIVILEGES, the sequences its inserts use, and the append functions. */
async function grantApplication(client: Client, app: string): Promise<void> {
  const tables = (
    await client.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1`,
    )
  ).rows.map((r) => r.name);
  const unlisted = tables.filter((table) => !(table in APPLICATION_PRIVILEGES));
  if (unlisted.length) {
    throw new Error(
      `store table(s) ${unlisted.join(', ')} have no entry in APPLICATION_PRIVILEGES (store/least-privilege.ts): say there what the application may do to them.`,
    );
  }
  for (const table of tables) {
    await client.query(`REVOKE ALL ON TABLE ${quoteIdent(table)} FROM ${quoteIdent(app)}`);
    await client.query(`GRANT ${APPLICATION_PRIVILEGES[table]} ON TABLE ${quoteIdent(table)} TO ${quoteIdent(app)}`);
  }
  // bigserial columns of tables the application inserts into; identity columns need no grant.
  const inserted = tables.filter((table) => APPLICATION_PRIVILEGES[table].includes('INSERT'));
  const { rows: sequences } = await client.query<{ name: string }>(
    `SELECT s.relname AS name FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype = 'a' JOIN pg_class t ON t.oid = d.refobjid
      WHERE s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace AND t.relname = ANY($1)`,
    [inserted],
  );
  for (const { name } of sequences)
    await client.query(`GRANT USAGE ON SEQUENCE ${quoteIdent(name)} TO ${quoteIdent(app)}`);
  for (const fn of APPEND_FUNCTIONS) await client.query(`GRANT EXECUTE ON FUNCTION ${fn} TO ${quoteIdent(app)}`);
}

/**
 * What the connected role could do to the audit log beyond appending, in words; empty for the
 * application role. Workers and the web server warn when DATABASE_URL connects as more than that.
 */
export async function auditRewriteRights(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{
    name: string;
    superuser: boolean;
    replication: boolean;
    owns: boolean;
    writes: boolean;
  }>(
    `SELECT current_user AS name, r.rolsuper AS superuser, r.rolreplication AS replication,
            pg_has_role(current_user, c.relowner, 'USAGE') AS owns,
            has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE') AS writes
       FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = 'public.audit_log'::regclass`,
  );
  const me = rows[0];
  const rights: string[] = [];
  if (me.superuser) rights.push(`${me.name} is a superuser (it can switch the audit log's triggers off)`);
  if (me.replication && !me.superuser) rights.push(`${me.name} has REPLICATION`);
  if (me.owns && !me.superuser) rights.push(`${me.name} owns the audit log or acts as its owner`);
  if (me.writes && !me.superuser) rights.push(`${me.name} may UPDATE, DELETE or TRUNCATE the audit log`);
  return rights;
}

/** Workers and the web server say so when DATABASE_URL connects as a role that could rewrite the audit log. */
export async function warnOfAuditRewriteRights(pool: Pool): Promise<void> {
  const rights = await auditRewriteRights(pool);
  if (rights.length) {
    process.stderr.write(
      `warning: DATABASE_URL connects as a role that could rewrite the audit log: ${rights.join('; ')}. Connect as the application role that \`schemawright store setup --owner-url <administrator URL>\` creates (see the README, "The store's roles").\n`,
    );
  }
}
