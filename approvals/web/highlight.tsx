import hljs from 'highlight.js/lib/core';
import pgsql from 'highlight.js/lib/languages/pgsql';
import { asScript, type Migration } from '../../artifacts/migration';

hljs.registerLanguage('pgsql', pgsql);

/**
 * SQL coloured on the server by highlight.js (its PostgreSQL grammar): the page needs no script for
 * it, and highlight.js escapes the text it wraps in its spans.
 */
export function SqlBlock({ sql }: { sql: string }) {
  const { value } = hljs.highlight(sql, { language: 'pgsql', ignoreIllegals: true });
  return (
    <pre tabindex={0}>
      <code class="hljs language-pgsql" dangerouslySetInnerHTML={{ __html: value }}></code>
    </pre>
  );
}

export function upScript(migration: Migration): string {
  return migration.up ?? asScript(migration.steps.map((step) => step.sql));
}

/** The migration's down as written, or its steps' undos in reverse; undefined when a step has none. */
export function downScript(migration: Migration): string | undefined {
  if (migration.down !== undefined) return migration.down;
  const undos = migration.steps.map((step) => step.undo);
  if (undos.some((undo) => undo === undefined)) return undefined;
  return asScript((undos as string[]).reverse());
}
