import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './stack/ports';
import { startEmbeddedPostgres } from './stack/postgres';
(async () => {
  const root = mkdtempSync('/tmp/s13exp/pg-'); chmodSync(root, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: join(root, 'data'), port: await freePort(), persistent: false, logFile: join(root, 'pg.log'), throwaway: true });
  try {
    const a = new Client({ connectionString: pg.adminUrl }); await a.connect();
    await a.query('CREATE DATABASE mb'); await a.query("CREATE ROLE sb LOGIN PASSWORD 'r'"); await a.query('CREATE DATABASE sb OWNER sb');
    await a.end();
    const t = new Client({ connectionString: pg.adminUrl.replace(/\/postgres$/, '/mb') }); await t.connect();
    await t.query(readFileSync('/work/shared/data/musicbrainz/musicbrainz-schema.concat.sql', 'utf8'));
    await t.end();
    const s = new Client({ connectionString: pg.adminUrl.replace(/\/postgres$/, '/sb') }); await s.connect();
    await s.query('CREATE EXTENSION cube; CREATE EXTENSION earthdistance'); await s.end();
    const bin = '/root/.cache/schemawright/postgres-client/18.6.3/embedded_postgres/pginstall/bin';
    const pw = new URL(pg.adminUrl).password;
    execFileSync(join(bin, 'pg_dump'), ['--schema-only', '-Fc', '-f', join(root, 'd.dump'), '-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', 'mb'], { env: { ...process.env, PGPASSWORD: decodeURIComponent(pw) } });
    const r = spawnSync(join(bin, 'pg_restore'), ['--no-owner', '--no-privileges', '-h', '127.0.0.1', '-p', String(pg.port), '-U', 'sb', '-d', 'sb', join(root, 'd.dump')], { env: { ...process.env, PGPASSWORD: 'r' }, encoding: 'utf8' });
    console.log('status', r.status); console.log(r.stderr.slice(0, 3000));
  } finally { await pg.stop(); }
})();
