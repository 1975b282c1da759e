import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/stack';
import { introspect, type Catalog } from '../../postgres/introspection';
import { reviewChange } from './review-change';

/**
 * Review of DDL with the target's catalog (as `review --target` and a request's review phase have it):
 * what the files alone cannot tell, named at the statement's line.
 */
describe("review with the target's catalog", () => {
  let db: TestDatabase;
  let catalog: Catalog;
  beforeAll(async () => {
    db = await createTestDatabase('sw_review_catalog');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE EXTENSION citext;
      CREATE TYPE ticket_state AS ENUM ('open', 'closed');
      CREATE TABLE customer (id bigint PRIMARY KEY, email citext);
      CREATE TABLE ticket (id bigint PRIMARY KEY, customer_id bigint, assignee_id bigint, state ticket_state);
      CREATE INDEX ticket_assignee ON ticket (assignee_id) WHERE assignee_id IS NOT NULL;`);
    catalog = await introspect(client, { statements: 0 });
    await client.end();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const files = [
    { path: '0001_types.sql', up: "CREATE TYPE priority AS ENUM ('low', 'high');\n" },
    {
      path: '0002_links.sql',
      up: [
        'ALTER TABLE ticket ADD COLUMN p priority, ADD COLUMN s ticket_state, ADD COLUMN e citext;',
        'ALTER TABLE ticket ADD FOREIGN KEY (assignee_id) REFERENCES customer;',
        'ALTER TABLE ticket',
        '  ADD FOREIGN KEY (customer_id) REFERENCES customer;',
        "ALTER TABLE ticket ADD COLUMN due timestampz, ADD COLUMN sla sla_level DEFAULT 'gold';",
      ].join('\n'),
    },
  ];

  it('names a key on an existing table that neither the target nor the migration indexes, and each undefined type, at its line', async () => {
    const { findings } = await reviewChange({ files, catalog });
    const ours = findings
      .filter((f) => f.id === 'SW-L-FK-NO-INDEX' || f.id === 'SW-L-UNDEFINED-TYPE')
      .map((f) => ({ id: f.id, object: f.object, line: f.location?.line, file: f.location?.file, fix: f.fix }));
    expect(ours).toEqual([
      {
        id: 'SW-L-UNDEFINED-TYPE',
        object: 'timestampz',
        line: 5,
        file: '0002_links.sql',
        fix: 'Did you mean timestamptz? Otherwise create timestampz before this statement.',
      },
      {
        id: 'SW-L-UNDEFINED-TYPE',
        object: 'sla_level',
        line: 5,
        file: '0002_links.sql',
        fix: 'Create sla_level (CREATE TYPE, CREATE DOMAIN or the extension that provides it) before this statement, or correct the name.',
      },
      {
        id: 'SW-L-FK-NO-INDEX',
        object: 'ticket',
        line: 3,
        file: '0002_links.sql',
        fix: 'CREATE INDEX CONCURRENTLY ticket_customer_id_idx ON public.ticket (customer_id);',
      },
    ]);
  });

  it('without the catalog judges neither (the files alone cannot tell what the target has)', async () => {
    const { findings } = await reviewChange({ files, pgVersion: catalog.meta.serverVersion });
    expect(findings.filter((f) => f.id === 'SW-L-FK-NO-INDEX' || f.id === 'SW-L-UNDEFINED-TYPE')).toEqual([]);
  });
});
