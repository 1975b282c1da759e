import { join } from 'node:path';

/** The real schemas and migration histories vendored under test/fixtures/ (its README gives origin, licence and how each loads). */
export const FIXTURES_DIR = join(__dirname, '..', 'fixtures');
/** Lemmy's diesel migrations: a folder per migration with up.sql and down.sql. */
export const LEMMY_DIR = join(FIXTURES_DIR, 'migrations', 'lemmy');
/** Marquez's Flyway migrations: V<version>__<name>.sql and R__<name>.sql. */
export const MARQUEZ_DIR = join(FIXTURES_DIR, 'migrations', 'marquez');
