import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/stack';
import type { MigrationStep } from '../../../artifacts/migration';
import { renderMigration } from '../render';
import { exampleContext } from './fixtures';
import { escalationTriggers } from './index';

/**
 * Every option of every firing example, rendered into the migration it leads to and applied on
 * PostgreSQL, then its undos newest first: what the people may choose runs. Tables the examples'
 * migrations expect to exist are created here.
 */
const SCHEMA = `
CREATE TABLE customers (id bigint PRIMARY KEY, name varchar(100), email text, fax text);
CREATE TABLE customer (id bigint PRIMARY KEY, email text, phone text, created_at timestamptz);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, qty integer);
CREATE TABLE order_lines (order_id bigint, product_id bigint);
CREATE TABLE products (id bigint PRIMARY KEY, title text, price numeric, active boolean);
CREATE TABLE event (id bigint PRIMARY KEY, at timestamptz, payload jsonb);
CREATE TABLE metric (device_id bigint, at timestamptz, value float8);
CREATE TABLE events (id bigint, user_id bigint);
CREATE TABLE legacy_events (id bigint);
CREATE TABLE audit_log (id bigint);
CREATE TABLE clicks (id bigint, user_id bigint, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE clicks_default PARTITION OF clicks DEFAULT;
INSERT INTO orders SELECT g, 1 + g % 7, g FROM generate_series(1, 1000) g;
INSERT INTO customers SELECT g, 'n' || g, 'e' || g, NULL FROM generate_series(1, 10) g;
`;

async function apply(client: Client, steps: MigrationStep[]): Promise<void> {
  for (const step of steps) {
    if (step.kind === 'transactional') await client.query(`BEGIN;\n${step.sql};\nCOMMIT;`);
    else if (step.kind === 'non-transactional') await client.query(step.sql);
    else while (((await client.query(step.sql, [step.batchSize])).rowCount ?? 0) > 0);
  }
}

const cases = escalationTriggers.flatMap((trigger) =>
  trigger.examples.fires.map((example) => [trigger.id, example.title, trigger, example] as const),
);

describe('the migration of every escalation option runs on PostgreSQL', () => {
  it.each(cases)('%s: %s', async (_id, _title, trigger, example) => {
    const context = await exampleContext(example);
    for (const escalation of trigger.raise(context)) {
      for (const option of escalation.options) {
        const rendered = renderMigration(context.migration, [escalation], { [escalation.id]: option.id });
        const db: TestDatabase = await createTestDatabase('sw_esc');
        const client = new Client({ connectionString: db.url });
        await client.connect();
        try {
          await client.query(SCHEMA);
          await apply(client, rendered.steps);
          // Undo where there is one, newest first: the database must accept it.
          for (const step of [...(option.replacement ?? [])].reverse()) if (step.undo) await client.query(step.undo);
        } catch (error) {
          throw new Error(`${escalation.id} option ${option.id}: ${(error as Error).message}`);
        } finally {
          await client.end();
          await db.drop();
        }
      }
    }
  });
});
