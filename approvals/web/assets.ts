import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What the console's pages load, all served by this server (the Content-Security-Policy allows no
 * other origin): Pico's stylesheet, highlight.js's theme and Mermaid's browser build from their npm
 * packages, and the console's own script and stylesheet beside this file.
 */
const ASSETS: Record<string, { file: () => string; type: string }> = {
  'pico.min.css': { file: () => require.resolve('@picocss/pico/css/pico.min.css'), type: 'text/css' },
  'highlight.css': { file: () => require.resolve('highlight.js/styles/github.min.css'), type: 'text/css' },
  'mermaid.min.js': { file: () => require.resolve('mermaid/dist/mermaid.min.js'), type: 'text/javascript' },
  'console.js': { file: () => join(__dirname, 'assets', 'console.js'), type: 'text/javascript' },
  'console.css': { file: () => join(__dirname, 'assets', 'console.css'), type: 'text/css' },
};

const loaded = new Map<string, Promise<Buffer>>();

/** The asset by its name, read once; undefined for any other name. */
export async function asset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  const known = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!known) return undefined;
  let body = loaded.get(name);
  if (!body) loaded.set(name, (body = readFile(known.file())));
  return { body: await body, type: `${known.type}; charset=utf-8` };
}
