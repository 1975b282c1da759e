import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { FIXTURES_DIR } from './fixtures';
import { createTestDatabase, type TestDatabase } from './stack';

export type Dataset = 'pagila' | 'musicbrainz' | 'danbooru';

/** A fresh test database holding one real schema (Pagila with its data), ANALYZEd so estimates are real. */
export async function loadDataset(dataset: Dataset): Promise<TestDatabase> {
  const db = await createTestDatabase(`sw_${dataset}`);
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    if (dataset === 'musicbrainz')
      await client.query(readFileSync(join(FIXTURES_DIR, 'musicbrainz/musicbrainz-schema.concat.sql'), 'utf8'));
    if (dataset === 'danbooru') await client.query(readFileSync(join(FIXTURES_DIR, 'danbooru/structure.sql'), 'utf8'));
    if (dataset === 'pagila') {
      await client.query(readFileSync(join(FIXTURES_DIR, 'pagila/pagila-schema.sql'), 'utf8'));
      // The data is COPY ... FROM stdin, which only psql speaks.
      await psqlFile(db.url, join(FIXTURES_DIR, 'pagila/pagila-data.sql'));
    }
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
  return db;
}

/** psql reads the password from the environment, so it never shows in a process list or an error. */
async function psqlFile(url: string, file: string): Promise<void> {
  const parsed = new URL(url);
  const env = {
    ...process.env,
    PGHOST: parsed.hostname,
    PGPORT: parsed.port,
    PGUSER: decodeURIComponent(parsed.username),
    PGPASSWORD: decodeURIComponent(parsed.password),
    PGDATABASE: parsed.pathname.slice(1),
  };
  try {
    await promisify(execFile)('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-f', file], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(
      `psql could not load ${file} (install the PostgreSQL client, psql, to run this test): ${(error as { stderr?: string }).stderr ?? (error as Error).message}`,
    );
  }
}
