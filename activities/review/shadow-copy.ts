import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { postgresClient } from '../../stack/postgres-client';
import type { SandboxDatabase } from '../../stack/shadow-server';
import { fingerprint, introspect, type Catalog } from '../analysis/introspection';
import type { Finding } from '../findings';
import { parsePgVersion, type PgVersion } from './pg-version';

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
 * its reader (pg_dump at least the server's major version), restored by the sandbox role with
 * `--no-owner --no-privileges` (every object is the sandbox role's, grants are not copied). Untrusted
 * extensions, which the sandbox role may not create, are created first by the shadow server's
 * administrator: they are part of what the target already has, not of the request. The copy is then
 * checked against the target by fingerprint; whatever differs is a finding, never silence.
 */
export async function copyTargetSchema(targetUrl: string, sandbox: SandboxDatabase): Promise<ShadowCopy> {
  const { version, catalog } = await readTarget(targetUrl);
  const tools = await postgresClient(version.major);
  const dir = mkdtempSync(join(tmpdir(), 'sw-shadow-copy-'));
  try {
    const dump = join(dir, 'schema.dump');
    await runTool(tools.pgDump, ['--schema-only', '--format=custom', '--no-subscriptions', `--file=${dump}`], targetUrl, 'pg_dump of the target');
    const { stdout: toc } = await run(tools.pgRestore, ['--list', dump], { maxBuffer: 64 << 20 });
    const gaps: Finding[] = [];
    const skipped = await createUntrustedExtensions(sandbox, catalog, gaps);
    const list = join(dir, 'restore.list');
    writeFileSync(list, toc.split('\n').filter((line) => !skipped.some((s) => s.test(line))).join('\n'));
    const restore = await runTool(tools.pgRestore, ['--no-owner', '--no-privileges', `--use-list=${list}`, dump], sandbox.url, 'pg_restore into the shadow', true);
    gaps.push(...restoreErrors(restore));
    const shadow = await readCatalog(sandbox.url);
    if (fingerprint(shadow) !== fingerprint(catalog)) {
      const reported = new Set(gaps.map((g) => g.object));
      for (const object of differingObjects(catalog, shadow).filter((o) => !reported.has(o))) {
        gaps.push(gap(object, `The shadow's ${object} differs from the target's after the copy.`, 'differs after restore'));
      }
    }
    return { version, gaps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readTarget(url: string): Promise<{ version: PgVersion; catalog: Catalog }> {
  const catalog = await readCatalog(url);
  return { version: parsePgVersion(catalog.meta.serverVersion), catalog };
}

async function readCatalog(url: string): Promise<Catalog> {
  const client = new Client({ connectionString: url, application_name: 'schemawright-shadow' });
  await client.connect();
  try {
    return await introspect(client, { statements: 0 });
  } finally {
    await client.end();
  }
}

/**
 * Runs pg_dump or pg_restore against `url`. The password goes in PGPASSWORD, never on the command
 * line (where `ps` shows it) nor in messages. pg_restore's errors are its report, so `tolerant`
 * returns them instead of failing.
 */
async function runTool(tool: string, args: string[], url: string, what: string, tolerant = false): Promise<string> {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const env = { ...process.env, PGPASSWORD: password, PGAPPNAME: 'schemawright-shadow', PGCONNECT_TIMEOUT: '10' };
  try {
    const { stderr } = await run(tool, [`--dbname=${parsed.toString()}`, '--no-password', ...args], { env, maxBuffer: 64 << 20 });
    return stderr;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
    if (tolerant && /errors ignored on restore/.test(stderr)) return stderr;
    const message = stderr.split(password).join('***').trim();
    throw new Error(`${what} failed: ${message}. The target's reader needs CONNECT and SELECT on its tables (pg_dump locks each one it dumps); see the README's connection roles.`);
  }
}

/**
 * Untrusted extensions the target has are created by the shadow server's administrator; returns
 * the table-of-contents lines to leave out of the restore (those extensions, their comments, and
 * the schemas created for them). An extension the shadow server lacks is a gap.
 */
async function createUntrustedExtensions(sandbox: SandboxDatabase, catalog: Catalog, gaps: Finding[]): Promise<RegExp[]> {
  if (catalog.extensions.length === 0) return [];
  const admin = new Client({ connectionString: sandbox.adminUrl });
  await admin.connect();
  const skipped: RegExp[] = [];
  try {
    for (const extension of catalog.extensions) {
      const { rows } = await admin.query<{ trusted: boolean }>('SELECT trusted FROM pg_available_extension_versions WHERE name = $1 AND version = $2', [extension.name, extension.version]);
      if (rows.length === 0) {
        gaps.push(gap(`extension ${extension.name}`, `The shadow server has no extension ${extension.name} ${extension.version}.`, 'not available on the shadow server'));
        skipped.push(tocLine('EXTENSION', '-', extension.name), tocLine('COMMENT', '-', `EXTENSION ${extension.name}`));
        continue;
      }
      if (rows[0]!.trusted) continue;
      if (extension.schema !== 'public') {
        await admin.query(`CREATE SCHEMA IF NOT EXISTS ${ident(extension.schema)} AUTHORIZATION ${ident(sandbox.role)}`);
        skipped.push(tocLine('SCHEMA', '-', extension.schema));
      }
      await admin.query(`CREATE EXTENSION IF NOT EXISTS ${ident(extension.name)} WITH SCHEMA ${ident(extension.schema)} VERSION '${extension.version.replace(/'/g, "''")}'`);
      skipped.push(tocLine('EXTENSION', '-', extension.name), tocLine('COMMENT', '-', `EXTENSION ${extension.name}`));
    }
  } finally {
    await admin.end();
  }
  return skipped;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A line of `pg_restore --list`: `12; 3079 16385 EXTENSION - pgstattuple owner`. */
const tocLine = (kind: string, namespace: string, tag: string) => new RegExp(`^\\d+; \\d+ \\d+ ${escape(kind)} ${escape(namespace)} ${escape(tag)} `);

/** pg_restore's errors, each with the table-of-contents entry that names its object. */
function restoreErrors(stderr: string): Finding[] {
  const findings: Finding[] = [];
  const blocks = stderr.split(/^pg_restore: from TOC entry /m).slice(1);
  for (const block of blocks) {
    const header = /^\d+; \d+ \d+ (.+?) (?:\S+|\(no owner\))$/m.exec(block)?.[1] ?? 'an object';
    const error = /could not execute query: (?:ERROR:\s+)?(.+)/.exec(block)?.[1] ?? block.trim().split('\n')[1] ?? '';
    const command = /Command was: ([\s\S]*?)(?:\npg_restore:|$)/.exec(block)?.[1]?.trim();
    findings.push(gap(objectOf(header), `The shadow could not reproduce ${objectOf(header)}: ${error}.`, error, command));
  }
  return findings;
}

/** `TABLE public film` → `table public.film`; `EXTENSION - vector` → `extension vector`. */
function objectOf(header: string): string {
  const [kind, namespace, ...rest] = header.split(' ');
  const name = rest.join(' ');
  return `${kind!.toLowerCase()} ${namespace && namespace !== '-' ? `${namespace}.` : ''}${name}`.trim();
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

/** Top-level catalog objects whose structure differs between two catalogs, as `kind schema.name`. */
export function differingObjects(before: Catalog, after: Catalog): string[] {
  const entries = (catalog: Catalog) => {
    const map = new Map<string, string>();
    for (const [kind, list] of Object.entries(catalog) as [string, unknown][]) {
      if (kind === 'meta' || kind === 'stats' || !Array.isArray(list)) continue;
      for (const item of list as unknown[]) {
        const named = item as { schema?: string; name?: string };
        const singular = kind.replace(/s$/, '');
        const key = typeof item === 'string' ? `${singular} ${item}` : `${singular} ${named.schema ? `${named.schema}.` : ''}${named.name ?? JSON.stringify(item)}`;
        map.set(key, JSON.stringify(item, (k, v: unknown) => (k === 'stats' ? undefined : v)));
      }
    }
    return map;
  };
  const a = entries(before);
  const b = entries(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key)).sort();
}
