import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEMMY_DIR } from '../support/fixtures';

export interface LemmyMigration {
  name: string;
  up: string;
  down?: string;
  file: string;
}

/** Lemmy's diesel migrations, oldest first. */
export function lemmyMigrations(): LemmyMigration[] {
  return readdirSync(LEMMY_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const file = join(LEMMY_DIR, name, 'up.sql');
      const down = join(LEMMY_DIR, name, 'down.sql');
      return {
        name,
        file,
        up: readFileSync(file, 'utf8'),
        down: existsSync(down) ? readFileSync(down, 'utf8') : undefined,
      };
    });
}
