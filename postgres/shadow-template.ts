import { createHash } from 'node:crypto';
import { Client } from 'pg';
import type { Finding } from '../artifacts/findings';
import type { SandboxDatabase } from '../stack/shadow-server';
import { databaseUrl } from '../store/database';
import { fingerprint, type Catalog } from './introspection';
import { parsePgVersion } from './pg-version';
import { quoteLiteral } from './names';
import { copyTargetSchema, readTarget, type ShadowCopy, type TargetSchema } from './shadow-copy';

/** Owns the objects of every warm template (NOLOGIN): no sandbox role outlives its review. */
const TEMPLATE_OWNER = 'sw_shadow_template_owner';
const TEMPLATE_PREFIX = 'sw_tpl_';
/** Templates kept on a shadow server, newest first: one per target schema in use, more only while schemas change. */
const TEMPLATES_KEPT = 8;

export interface WarmShadowCopy extends ShadowCopy {
  /** `target`: dumped from the target and restored; `template`: the warm template of the same schema, cloned. */
  from: 'target' | 'template';
}

/**
 * Copies the target's schema into the sandbox database as `copyTargetSchema` does, once per schema:
 * the copy is kept on the shadow server as a template database named by the target's fingerprint,
 * and a later review of an unchanged target clones it (`CREATE DATABASE ... TEMPLATE`, a file copy)
 * instead of dumping and restoring again. Given the catalog under review (the one analysis read and
 * stored), its template is looked for without reading the target at all: it is the schema reviewed,
 * and the apply checks the target is still that schema under its lock. Otherwise, or without a
 * template for it, the target is read for its fingerprint; a target that changed has another
 * fingerprint, so another template. The template's copy gaps are kept in its comment, written last:
 * a template without one is unfinished and not used.
 */
export async function copyTargetSchemaWarm(
  targetUrl: string,
  sandbox: SandboxDatabase,
  reviewed?: Catalog,
): Promise<WarmShadowCopy> {
  const admin = new Client({ connectionString: databaseUrl(sandbox.adminUrl, 'postgres') });
  await admin.connect();
  try {
    const known = reviewed && (await cloneKept(admin, sandbox, schemaOf(reviewed)));
    if (known) return known;
    const target = await readTarget(targetUrl);
    const warm = await cloneKept(admin, sandbox, target);
    if (warm) return warm;
    const copy = await copyTargetSchema(targetUrl, sandbox, target);
    // A template is a saving, never a condition: a review goes on without one (a shadow role without
    // the rights to make it, another worker making the same one at the same moment).
    await keepAsTemplate(admin, sandbox, templateOf(target), copy.gaps).catch(() => undefined);
    return { ...copy, from: 'target' };
  } finally {
    await admin.end();
  }
}

function schemaOf(catalog: Catalog): TargetSchema {
  return { version: parsePgVersion(catalog.meta.serverVersion), catalog };
}

/** The sandbox database made a clone of the schema's finished template, if there is one. */
async function cloneKept(
  admin: Client,
  sandbox: SandboxDatabase,
  schema: TargetSchema,
): Promise<WarmShadowCopy | undefined> {
  const template = templateOf(schema);
  const { rows } = await admin.query<{ gaps: string | null }>(
    "SELECT shobj_description(oid, 'pg_database') AS gaps FROM pg_database WHERE datname = $1",
    [template],
  );
  const gaps = rows[0]?.gaps;
  if (!gaps) return undefined;
  await cloneInto(admin, sandbox, template);
  return { version: schema.version, gaps: JSON.parse(gaps) as Finding[], from: 'template' };
}

function templateOf({ catalog, version }: TargetSchema): string {
  return templateName(fingerprint(catalog), `${version.major}.${version.minor}`);
}

function templateName(schemaFingerprint: string, serverVersion: string): string {
  return `${TEMPLATE_PREFIX}${createHash('sha256').update(`${serverVersion}\n${schemaFingerprint}`).digest('hex').slice(0, 24)}`;
}

/** The sandbox's empty database is replaced by a clone of the template, its objects given to the sandbox role. */
async function cloneInto(admin: Client, sandbox: SandboxDatabase, template: string): Promise<void> {
  await admin.query(`DROP DATABASE ${sandbox.role} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${sandbox.role} TEMPLATE ${template} OWNER ${sandbox.role}`);
  await admin.query(`REVOKE ALL ON DATABASE ${sandbox.role} FROM PUBLIC`);
  await inDatabase(sandbox.adminUrl, `REASSIGN OWNED BY ${TEMPLATE_OWNER} TO ${sandbox.role}`);
}

/**
 * Clones the fresh copy (nothing has run on it yet) into the template, moves its objects from the
 * sandbox role, which is dropped after the review, to the template owner, and writes the gaps last.
 */
async function keepAsTemplate(admin: Client, sandbox: SandboxDatabase, template: string, gaps: Finding[]) {
  await admin.query(`CREATE ROLE ${TEMPLATE_OWNER} NOLOGIN`).catch((error: { code?: string }) => {
    if (error.code !== '42710') throw error; // it exists
  });
  await admin.query(`CREATE DATABASE ${template} TEMPLATE ${sandbox.role}`);
  try {
    // REASSIGN also gives away the sandbox role's own database, a shared object: it is given back after.
    await inDatabase(
      databaseUrl(sandbox.adminUrl, template),
      `REASSIGN OWNED BY ${sandbox.role} TO ${TEMPLATE_OWNER}; DROP OWNED BY ${sandbox.role}`,
    );
    await admin.query(`ALTER DATABASE ${sandbox.role} OWNER TO ${sandbox.role}`);
    await admin.query(`COMMENT ON DATABASE ${template} IS ${quoteLiteral(JSON.stringify(gaps))}`);
  } catch (error) {
    await admin.query(`ALTER DATABASE ${sandbox.role} OWNER TO ${sandbox.role}`).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${template}`).catch(() => undefined);
    throw error;
  }
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE '${TEMPLATE_PREFIX}%' ORDER BY oid DESC OFFSET ${TEMPLATES_KEPT}`,
  );
  for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname}`).catch(() => undefined);
}

async function inDatabase(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
