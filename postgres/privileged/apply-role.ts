import type { Client } from 'pg';

/** The role that would run an approved migration, and the rights it holds that privileged statements need. */
export interface ApplyRole {
  name: string;
  /** `SUPERUSER`, `CREATEROLE`, `CREATEDB`, `REPLICATION`, `BYPASSRLS`, and the server-file roles it is a member of. */
  rights: string[];
  /** False when the target has no role of that name (yet): nothing is known of its rights. */
  known: boolean;
}

const SERVER_ROLES = [
  'pg_execute_server_program',
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_signal_backend',
  'pg_checkpoint',
];

/**
 * Reads, from the target's catalog, the rights of the role the apply connection logs in as (its
 * URL's user; the reading session's own user when the URL names none).
 */
export async function applyRoleOf(client: Client, applyConnectionString: string): Promise<ApplyRole> {
  const named = decodeURIComponent(new URL(applyConnectionString).username);
  const name = named || (await client.query<{ name: string }>('SELECT current_user AS name')).rows[0]!.name;
  const { rows } = await client.query<{
    rolsuper: boolean;
    rolcreaterole: boolean;
    rolcreatedb: boolean;
    rolreplication: boolean;
    rolbypassrls: boolean;
    member_of: string[];
  }>(
    `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,
            array(SELECT b.rolname::text FROM pg_roles b WHERE b.rolname = ANY($2) AND pg_has_role(r.oid, b.oid, 'MEMBER') ORDER BY b.rolname) AS member_of
       FROM pg_roles r WHERE r.rolname = $1`,
    [name, SERVER_ROLES],
  );
  const role = rows[0];
  if (!role) return { name, rights: [], known: false };
  const attributes: [boolean, string][] = [
    [role.rolsuper, 'SUPERUSER'],
    [role.rolcreaterole, 'CREATEROLE'],
    [role.rolcreatedb, 'CREATEDB'],
    [role.rolreplication, 'REPLICATION'],
    [role.rolbypassrls, 'BYPASSRLS'],
  ];
  return {
    name,
    rights: [...attributes.filter(([has]) => has).map(([, right]) => right), ...role.member_of],
    known: true,
  };
}

/** `role "deploy" (SUPERUSER, CREATEDB)`, for questions and reports. */
export function describeApplyRole(role: ApplyRole | undefined): string {
  if (!role) return "the apply role (the role the target's apply connection logs in as)";
  if (!role.known) return `the apply role "${role.name}" (not found on the target: its rights are unknown)`;
  return `the apply role "${role.name}" (${role.rights.length ? role.rights.join(', ') : 'no superuser, role-creating, database-creating or server-file rights'})`;
}
