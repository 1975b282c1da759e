import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseUrl } from '../store/database';
import { quoteIdent, quoteLiteral } from '../postgres/names';

/**
 * A target's two connection roles. The reader does everything before approval (analysis, the
 * shadow copy, drift checks): CONNECT, pg_read_all_data (pg_dump takes an ACCESS SHARE lock on every
 * table it dumps, which PostgreSQL allows only with SELECT; it reads no rows with --schema-only),
 * pg_read_all_stats (pg_stat_statements and sizes), and read-only transactions by default. The
 * applier applies approved migrations: it owns the database, so it may create schemas and objects
 * in it, and is no superuser, CREATEDB or CREATEROLE.
 */
export interface TargetRoleNames {
  reader: string;
  applier: string;
}

export const EMBEDDED_TARGET_ROLES: TargetRoleNames = {
  reader: 'schemawright_reader',
  applier: 'schemawright_applier',
};

export interface TargetRoleUrls {
  readerUrl: string;
  applierUrl: string;
}

/** Creates the roles when missing, gives them the rights above and `passwords`; returns their URLs of `database`. */
export async function ensureTargetRoles(
  adminUrl: string,
  database: string,
  passwords: TargetRoleNames,
  names: TargetRoleNames = EMBEDDED_TARGET_ROLES,
): Promise<TargetRoleUrls> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const role of [names.reader, names.applier]) {
      const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount;
      const password = role === names.reader ? passwords.reader : passwords.applier;
      const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${quoteLiteral(password)}`;
      await admin.query(
        `${exists ? 'ALTER' : 'CREATE'} ROLE ${quoteIdent(role)} ${exists ? 'WITH ' : ''}${attributes}`,
      );
    }
    await admin.query(`GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(names.reader)}`);
    await admin.query(`GRANT pg_read_all_data, pg_read_all_stats TO ${quoteIdent(names.reader)}`);
    await admin.query(`ALTER ROLE ${quoteIdent(names.reader)} SET default_transaction_read_only = on`);
    await admin.query(`ALTER DATABASE ${quoteIdent(database)} OWNER TO ${quoteIdent(names.applier)}`);
  } finally {
    await admin.end();
  }
  const urlOf = (role: string, password: string) => {
    const url = new URL(databaseUrl(adminUrl, database));
    url.username = role;
    url.password = password;
    return url.toString();
  };
  return { readerUrl: urlOf(names.reader, passwords.reader), applierUrl: urlOf(names.applier, passwords.applier) };
}

/** The embedded default's role passwords, made once and kept owner-only in `dir` so that a second start connects again. */
export function targetRolePasswords(dir: string): TargetRoleNames {
  const read = (role: string) => {
    const file = join(dir, `${role}.password`);
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const password = randomBytes(18).toString('base64url');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    return password;
  };
  return { reader: read(EMBEDDED_TARGET_ROLES.reader), applier: read(EMBEDDED_TARGET_ROLES.applier) };
}
