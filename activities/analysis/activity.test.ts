import { Client } from 'pg';
import { targetVariable } from '../../config/targets';
import { getArtifact } from '../../store/artifacts';
import { createTestDatabase, createTestStore, type TestDatabase } from '../../test/support/stack';
import type { Finding } from '../../artifacts/findings';
import type { Catalog } from '../../postgres/introspection';
import { targetFingerprint } from '../../postgres/target';
import { storeAnalysis } from './activity';

describe('analysing a target by name', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    store = await createTestStore();
    db = await createTestDatabase('sw_target');
    env = { [targetVariable('shop')]: db.url };
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(
      'CREATE TABLE public.customer (id serial PRIMARY KEY, email text); CREATE TABLE public.cart (id int PRIMARY KEY, customer_id int REFERENCES public.customer);',
    );
    await client.end();
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('stores the catalog, the findings and the report, and returns refs, counts and the fingerprint', async () => {
    const outcome = await storeAnalysis(store.pool, 'shop', { piiColumns: ['public.customer.email'] }, env);
    expect(outcome.findings).toEqual({ errors: 0, warnings: 2, infos: 1 });
    expect(outcome.fingerprint).toBe(await targetFingerprint('shop', { env }));
    const catalog = JSON.parse((await getArtifact(store.pool, outcome.artifacts.catalog!.digest)).content) as Catalog;
    expect(catalog.tables.map((t) => t.name)).toEqual(['cart', 'customer']);
    const findings = JSON.parse(
      (await getArtifact(store.pool, outcome.artifacts.findings!.digest)).content,
    ) as Finding[];
    expect(findings.map((f) => f.id)).toEqual(['SW-A-FK-NO-INDEX', 'SW-A-PII-UNPROTECTED', 'SW-A-SERIAL']);
    const report = await getArtifact(store.pool, outcome.artifacts.report!.digest);
    expect(report.mediaType).toBe('text/markdown');
    expect(report.content).toContain('shop: 2 tables, 2 indexes; 0 errors, 2 warnings, 1 note');
    // Only the name travels: nothing the workflow gets back holds the connection string.
    expect(JSON.stringify(outcome)).not.toContain(new URL(db.url).password);
  });

  it('moves the fingerprint when the schema changes', async () => {
    const before = await targetFingerprint('shop', { env });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE INDEX cart_customer ON public.cart (customer_id)');
    await client.end();
    expect(await targetFingerprint('shop', { env })).not.toBe(before);
  });
});
