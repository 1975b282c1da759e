import { accessSync, constants, statSync } from 'node:fs';

/** True for a regular file this process may execute: how tool lookups (Temporal CLI, pg_dump) test a candidate. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
