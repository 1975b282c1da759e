import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { postgresClient } from '../stack/postgres-client';
import type { SandboxDatabase } from '../stack/shadow-server';
import { fingerprint, type Catalog } from './introspection';
import type { Finding } from '../artifacts/findings';
import { parsePgVersion, type PgVersion } from './pg-version';
import { quoteIdent, quoteLiteral } from './names';
import { readTargetCatalog } from './target';
import { restoreReparsedDefinitions } from './shadow-reparse';

export const SHADOW_COPY_GAP = 'SW-SHADOW-COPY-GAP';

const run = promisify(execFile);

export interface ShadowCopy {
  /** The target's server version: steps are split as they will be on the target. */
  version: PgVersion;
  /** What the copy could not reproduce, one finding per object. */
  gaps: Finding[];
}

/**
 * Copies the target's schema into the sandbox database: `pg_dump --schema-only` of the target as
 * its reader (pg_dump at least the server's major version), turned into SQL by pg_restore with
 * `--no-owner --no-privileges` (every object is the sandbox role's, grants are not copied) and run
 * by the sandbox role. Untrusted extensions, which the sandbox role may not create, are created
 * first by the shadow server's administrator: they are part of what the target already has, not of
 * the request. Definitions PostgreSQL prints in a form that parses back to another are then
 * recreated from the target's (shadow-reparse.ts). The copy is checked against the target by
 * fingerprint; whatever differs is a finding, never silence.
 */
export async function copyTargetSchema(
  targetUrl: string,
  sandbox: SandboxDatabase,
  target?: TargetSchema,
): Promise<ShadowCopy> {
  const { version, catalog } = target ?? (await readTarget(targetUrl));
  const tools = await postgresClient(version.major);
  const dir = mkdtempSync(join(tmpdir(), 'sw-shadow-copy-'));
  try {
    const dump = join(dir, 'schema.dump');
    await runTool(
      tools.pgDump,
      ['--schema-only', '--format=custom', '--no-subscriptions', `--file=${dump}`],
      targetUrl,
      'pg_dump of the target',
    );
    const gaps: Finding[] = [];
    const skipped = await createUntrustedExtensions(sandbox, catalog, gaps);
    const script = await runTool(
      tools.pgRestore,
      ['--no-owner', '--no-privileges', '--file=-', dump],
      undefined,
      'pg_restore of the dump',
    );
    const entries = scriptEntries(script).filter((entry) => !skipped.has(`${entry.kind} ${entry.name}`));
    gaps.push(...(await restoreEntries(sandbox, entries)));
    let shadow = await readTargetCatalog(sandbox.url, { applicationName: 'schemawright-shadow' });
    if (
      fingerprint(shadow) !== fingerprint(catalog) &&
      (await restoreReparsedDefinitions(sandbox.url, catalog, shadow)) > 0
    ) {
      shadow = await readTargetCatalog(sandbox.url, { applicationName: 'schemawright-shadow' });
    }
    if (fingerprint(shadow) !== fingerprint(catalog)) {
      const reported = new Set(gaps.map((g) => g.object));
      const [onTarget, onShadow] = [catalogObjects(catalog), catalogObjects(shadow)];
      for (const object of differingObjects(catalog, shadow).filter((o) => !reported.has(o))) {
        const finding = gap(
          object,
          `The shadow's ${object} differs from the target's after the copy.`,
          'differs after restore',
        );
        gaps.push({
          ...finding,
          evidence: { ...finding.evidence, target: onTarget.get(object) ?? null, shadow: onShadow.get(object) ?? null },
        });
      }
    }
    return { version, gaps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The target's schema as read for a copy: its server's version and its catalog. */
export interface TargetSchema {
  version: PgVersion;
  catalog: Catalog;
}

export async function readTarget(url: string): Promise<TargetSchema> {
  const catalog = await readTargetCatalog(url, { applicationName: 'schemawright-shadow' });
  return { version: parsePgVersion(catalog.meta.serverVersion), catalog };
}

/**
 * Runs pg_dump, or pg_restore (which only turns the dump into SQL), returning its output. The
 * password goes in PGPASSWORD, never on the command line (where `ps` shows it) nor in messages.
 */
async function runTool(tool: string, args: string[], url: string | undefined, what: string): Promise<string> {
  const parsed = url ? new URL(url) : undefined;
  const password = parsed ? decodeURIComponent(parsed.password) : '';
  if (parsed) parsed.password = '';
  const env = { ...process.env, PGPASSWORD: password, PGAPPNAME: 'schemawright-shadow', PGCONNECT_TIMEOUT: '10' };
  try {
    const { stdout } = await run(
      tool,
      [...(parsed ? [`--dbname=${parsed.toString()}`, '--no-password'] : []), ...args],
      { env, maxBuffer: 256 << 20 },
    );
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
    const message = password ? stderr.split(password).join('***').trim() : stderr.trim();
    throw new Error(
      `${what} failed: ${message}. The target's reader needs CONNECT and SELECT on its tables (pg_dump locks each one it dumps); see the README's connection roles.`,
    );
  }
}

interface ScriptEntry {
  kind: string;
  /** As pg_dump names it: `film`, `EXTENSION pgcrypto` for a comment, `film film_pkey` for a constraint. */
  name: string;
  schema: string;
  sql: string;
}

/** The restore script cut at pg_dump's `-- Name: x; Type: T; Schema: s; Owner: -` headers; the preamble (SETs) comes first. */
function scriptEntries(script: string): ScriptEntry[] {
  // pg_dump 18 frames its script with psql's \restrict/\unrestrict; we run it through no psql.
  const parts = script.replace(/^\\(un)?restrict .*$/gm, '').split(/^--\n-- (?=Name: )/m);
  const entries: ScriptEntry[] = [{ kind: 'PREAMBLE', name: '', schema: '-', sql: parts[0]! }];
  for (const part of parts.slice(1)) {
    const header = /^Name: (.*); Type: (.*); Schema: (.*); Owner: .*$/m.exec(part);
    if (!header) continue;
    entries.push({ name: header[1]!, kind: header[2]!, schema: header[3]!, sql: part.slice(part.indexOf('\n') + 1) });
  }
  return entries;
}

/**
 * Runs the entries as the sandbox role, in order, each on its own. What fails is tried again after
 * the rest until a pass makes no progress (an index on a function created later). A function in C
 * from the server's own library directory (MusicBrainz's immutable_unaccent) is created by the
 * administrator: it is the target's, and the sandbox role may not use untrusted languages.
 */
async function restoreEntries(sandbox: SandboxDatabase, entries: ScriptEntry[]): Promise<Finding[]> {
  const [preamble, ...rest] = entries;
  const role = new Client({ connectionString: sandbox.url, application_name: 'schemawright-shadow' });
  const admin = new Client({ connectionString: sandbox.adminUrl, application_name: 'schemawright-shadow' });
  await Promise.all([role.connect(), admin.connect()]);
  try {
    await role.query(preamble!.sql);
    await admin.query(preamble!.sql);
    let pending = rest;
    for (;;) {
      const failed: { entry: ScriptEntry; error: string }[] = [];
      for (const entry of pending) {
        try {
          await role.query(entry.sql);
        } catch (error) {
          const denied =
            /permission denied for language c$/.test((error as Error).message) && /AS '\$libdir\//.test(entry.sql);
          try {
            if (!denied) throw error;
            await admin.query(entry.sql);
          } catch (retried) {
            failed.push({ entry, error: (retried as Error).message });
          }
        }
      }
      if (failed.length === 0 || failed.length === pending.length) {
        return failed.map(({ entry, error }) => {
          const object = `${entry.kind.toLowerCase()} ${entry.schema !== '-' ? `${entry.schema}.` : ''}${entry.name}`;
          return gap(object, `The shadow could not reproduce ${object}: ${error}.`, error, entry.sql.trim());
        });
      }
      pending = failed.map((f) => f.entry);
    }
  } finally {
    await Promise.all([role.end(), admin.end()]);
  }
}

/**
 * Untrusted extensions the target has are created by the shadow server's administrator, with the
 * extensions they require (MusicBrainz's earthdistance needs cube); returns the table-of-contents
 * entries to leave out of the restore (those extensions, their comments, and the schemas created for
 * them). An extension the shadow server lacks is a gap.
 */
async function createUntrustedExtensions(
  sandbox: SandboxDatabase,
  catalog: Catalog,
  gaps: Finding[],
): Promise<Set<string>> {
  const skipped = new Set<string>();
  if (catalog.extensions.length === 0) return skipped;
  const onTarget = new Map(catalog.extensions.map((e) => [e.name, e]));
  const admin = new Client({ connectionString: sandbox.adminUrl });
  await admin.connect();
  const created = new Set<string>();
  const available = async (name: string, version: string | undefined) =>
    (
      await admin.query<{ trusted: boolean; requires: string[] | null }>(
        'SELECT trusted, requires::text[] AS requires FROM pg_available_extension_versions WHERE name = $1 AND ($2::text IS NULL OR version = $2) ORDER BY version DESC LIMIT 1',
        [name, version ?? null],
      )
    ).rows[0];
  const create = async (name: string, schema: string, version: string | undefined) => {
    if (created.has(name)) return;
    created.add(name);
    for (const required of (await available(name, version))?.requires ?? [])
      await create(required, onTarget.get(required)?.schema ?? schema, onTarget.get(required)?.version);
    if (schema !== 'public') {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)} AUTHORIZATION ${quoteIdent(sandbox.role)}`);
      skipped.add(`SCHEMA ${schema}`);
    }
    await admin.query(
      `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(name)} WITH SCHEMA ${quoteIdent(schema)}${version ? ` VERSION ${quoteLiteral(version)}` : ''}`,
    );
    skipped.add(`EXTENSION ${name}`).add(`COMMENT EXTENSION ${name}`);
  };
  try {
    for (const extension of catalog.extensions) {
      const found = await available(extension.name, extension.version);
      if (!found) {
        gaps.push(
          gap(
            `extension ${extension.name}`,
            `The shadow server has no extension ${extension.name} ${extension.version}.`,
            'not available on the shadow server',
          ),
        );
        skipped.add(`EXTENSION ${extension.name}`).add(`COMMENT EXTENSION ${extension.name}`);
      } else if (!found.trusted) {
        await create(extension.name, extension.schema, extension.version).catch((error: Error) => {
          // A SCHEMAWRIGHT_SHADOW_URL whose role is no superuser: the restore then reports what depends on it.
          gaps.push(
            gap(
              `extension ${extension.name}`,
              `The shadow server's administrator could not create extension ${extension.name}: ${error.message}.`,
              error.message,
            ),
          );
        });
      }
    }
  } finally {
    await admin.end();
  }
  return skipped;
}

function gap(object: string, message: string, error: string, statement?: string): Finding {
  return {
    id: SHADOW_COPY_GAP,
    source: 'schemawright',
    severity: 'warning',
    object,
    message: `${message} Verification on the shadow does not cover it: a migration touching it may fail, or pass, on the shadow only.`,
    why: 'The shadow stands for the target: where the copy differs, what the shadow shows is not what the target will do.',
    fix: 'Make the object reproducible by a non-superuser restore (or give the shadow server the extension), or verify changes to it by hand.',
    evidence: { error, ...(statement ? { statement } : {}) },
  };
}

/** Top-level catalog objects (`kind schema.name`) with their structure as JSON, statistics left out. */
function catalogObjects(catalog: Catalog): Map<string, string> {
  const map = new Map<string, string>();
  for (const [kind, list] of Object.entries(catalog) as [string, unknown][]) {
    if (kind === 'meta' || kind === 'stats' || !Array.isArray(list)) continue;
    for (const item of list as unknown[]) {
      const named = item as { schema?: string; name?: string };
      const singular = kind.replace(/s$/, '');
      const key =
        typeof item === 'string'
          ? `${singular} ${item}`
          : `${singular} ${named.schema ? `${named.schema}.` : ''}${named.name ?? JSON.stringify(item)}`;
      map.set(
        key,
        JSON.stringify(item, (k, v: unknown) => (k === 'stats' ? undefined : v)),
      );
    }
  }
  return map;
}

/** Top-level catalog objects whose structure differs between two catalogs, as `kind schema.name`. */
export function differingObjects(before: Catalog, after: Catalog): string[] {
  const a = catalogObjects(before);
  const b = catalogObjects(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key)).sort();
}
