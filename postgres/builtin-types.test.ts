import { Client } from 'pg';
import { createTestDatabase } from '../test/support/stack';
import { BUILTIN_TYPES } from './builtin-types';

it("lists pg_catalog's types as the test server has them", async () => {
  const db = await createTestDatabase('sw_types');
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT typname AS name FROM pg_type
        WHERE typnamespace = 'pg_catalog'::regnamespace AND typcategory <> 'A' AND typrelid = 0 ORDER BY 1`,
    );
    expect([...BUILTIN_TYPES].sort()).toEqual(rows.map((r) => r.name).sort());
  } finally {
    await client.end();
    await db.drop();
  }
});
