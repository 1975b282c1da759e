import { targetVariable, TargetNotFoundError } from '../config/targets';
import { freePort } from '../stack/ports';
import { testStack } from '../test/support/stack';
import { TargetUnreachableError, withTarget } from './target';

describe('opening a target', () => {
  it('runs the work on a target named in the environment, and on one given as a URL', async () => {
    const url = testStack().postgresAdminUrl;
    const read = (client: { query: (sql: string) => Promise<{ rows: { name: string }[] }> }) =>
      client.query("SELECT current_setting('application_name') AS name").then((r) => r.rows[0]!.name);
    expect(
      await withTarget('shop', read, { env: { [targetVariable('shop')]: url }, applicationName: 'schemawright-test' }),
    ).toBe('schemawright-test');
    expect(await withTarget(url, read)).toBe('schemawright');
  });

  it('says a database that does not exist will not appear on a retry, naming the target', async () => {
    const url = new URL(testStack().postgresAdminUrl);
    url.pathname = '/no_such_database';
    const error = await withTarget('shop', async () => 'ran', {
      env: { [targetVariable('shop')]: url.toString() },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetNotFoundError);
    expect((error as Error).message).toMatch(
      /^could not connect to target 'shop': database "no_such_database" does not exist\. Check the host, port, database name and credentials/,
    );
  });

  it('says a server that does not answer may come back, showing a URL without its password, or only the name it has', async () => {
    const url = new URL(testStack().postgresAdminUrl);
    url.port = String(await freePort());
    url.password = 'hunter2-never-shown';
    const given = await withTarget(url.toString(), async () => 'ran').catch((e: unknown) => e);
    expect(given).toBeInstanceOf(TargetUnreachableError);
    expect((given as Error).message).toMatch(
      /^could not connect to postgres:\/\/[^:]+:\*\*\*@127\.0\.0\.1:\d+\/\w+: .*ECONNREFUSED.*\. Check the host, port, database name and credentials, and that the server accepts connections from here\.$/,
    );
    expect((given as Error).message).not.toContain('hunter2');
    const named = await withTarget(url.toString(), async () => 'ran', { name: 'warehouse' }).catch((e: unknown) => e);
    expect((named as Error).message).toMatch(/^could not connect to target 'warehouse': /);
    expect((named as Error).message).not.toContain('hunter2');
  });
});
