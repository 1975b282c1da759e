import { createHash } from 'node:crypto';
import { canonicalJson } from '../../store/canonical-json';
import type { ClientBase } from 'pg';
import type { Catalog } from './catalog';
import { introspect } from './introspect';

/** Keys whose values change without DDL: statistics, sizes, sequence values, the time of reading. */
const VOLATILE_KEYS = new Set(['stats', 'meta']);

/** The structure of a catalog as canonical JSON: volatile keys dropped, object keys sorted. */
export function canonicalStructure(catalog: Catalog): string {
  return canonicalJson(catalog, (key) => VOLATILE_KEYS.has(key));
}

/** `sha256:<hex>` of the canonical structure: equal for equal schemas, different after any DDL we read. */
export function fingerprint(catalog: Catalog): string {
  return `sha256:${createHash('sha256').update(canonicalStructure(catalog)).digest('hex')}`;
}

/** The fingerprint of the schema `client` reads, without the statistics it leaves out (the dearest part to read). */
export async function readFingerprint(client: ClientBase): Promise<string> {
  return fingerprint(await introspect(client, { statements: 0, statistics: false }));
}
