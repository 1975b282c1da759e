import { fingerprint } from './introspection';
import { loadParser } from './parse';
import { checkWithoutArrayCast, restoreReparsedDefinitions, withUnseenColumnsNamed } from './shadow-reparse';
import { readTargetCatalog } from './target';
import { querySql, runSql } from '../test/support/requests';
import { createTestDatabase } from '../test/support/stack';

beforeAll(() => loadParser());

describe('definitions printed in a form that parses back to another', () => {
  it('drops the explicit array cast of `= ANY ((ARRAY[...])::text[])`, which the parser would push into the elements', () => {
    const sql = checkWithoutArrayCast(
      `ALTER TABLE s.t ADD CONSTRAINT c CHECK (((x)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))`,
    );
    expect(sql).toContain(`ANY (ARRAY['a'::varchar, 'b'::varchar])`);
    expect(sql).not.toContain('text[]');
    expect(checkWithoutArrayCast(`ALTER TABLE s.t ADD CONSTRAINT c CHECK (((y)::text = 'z'::text))`)).toBeUndefined();
    expect(checkWithoutArrayCast(`ALTER TABLE s.t ADD CONSTRAINT c CHECK ((x = ANY (ARRAY[1, 2])))`)).toBeUndefined();
  });

  it('names `?column?` the unnamed expressions of the later branches of a UNION, never the first branch nor column references', () => {
    const sql = withUnseenColumnsNamed(
      ' SELECT a.r,\n    NULL::integer\n   FROM s.a\nUNION ALL\n SELECT b.r,\n    NULL::integer\n   FROM s.b;',
    );
    expect(sql?.match(/"\?column\?"/g)).toHaveLength(1);
    expect(sql).toMatch(/b\.r,\s+NULL::int AS "\?column\?"/);
    expect(withUnseenColumnsNamed(' SELECT a.r, NULL::integer FROM s.a;')).toBeUndefined();
  });
});

describe('restoreReparsedDefinitions', () => {
  it("recreates the shadow's check and view from the target's definitions until they read back the same; a real change still shows", async () => {
    const [target, shadow] = [
      await createTestDatabase('sw_reparse_target'),
      await createTestDatabase('sw_reparse_shadow'),
    ];
    try {
      const schema = `CREATE SCHEMA s; CREATE TABLE s.a (r int, c int); CREATE TABLE s.b (r int);`;
      await runSql(
        target.url,
        `${schema}
        CREATE TABLE s.t (x varchar(50) CONSTRAINT allowed CHECK (x IN ('a', 'b')));
        CREATE VIEW s.v AS SELECT r, c FROM (SELECT r, c FROM s.a UNION ALL SELECT r, NULL FROM s.b) q;`,
      );
      const onTarget = await readTargetCatalog(target.url);
      const view = onTarget.views.find((v) => v.name === 'v')!;
      // What pg_dump writes: the definitions as PostgreSQL prints them.
      await runSql(
        shadow.url,
        `${schema}
        CREATE TABLE s.t (x varchar(50), CONSTRAINT allowed ${onTarget.tables.find((t) => t.name === 't')!.constraints[0]!.definition});
        CREATE VIEW s.v AS ${view.definition}`,
      );
      const copied = await readTargetCatalog(shadow.url);
      expect(fingerprint(copied)).not.toBe(fingerprint(onTarget));

      expect(await restoreReparsedDefinitions(shadow.url, onTarget, copied)).toBe(2);
      expect(fingerprint(await readTargetCatalog(shadow.url))).toBe(fingerprint(onTarget));

      await runSql(
        target.url,
        `ALTER TABLE s.t DROP CONSTRAINT allowed, ADD CONSTRAINT allowed CHECK (x IN ('a', 'c'))`,
      );
      expect(fingerprint(await readTargetCatalog(target.url))).not.toBe(fingerprint(onTarget));
    } finally {
      await target.drop();
      await shadow.drop();
    }
  });

  it('leaves as restored what recreating would lose unseen: a commented check, a view with options', async () => {
    const [target, shadow] = [
      await createTestDatabase('sw_reparse_target'),
      await createTestDatabase('sw_reparse_shadow'),
    ];
    try {
      const schema = `CREATE SCHEMA s; CREATE TABLE s.a (r int, c int); CREATE TABLE s.b (r int);`;
      await runSql(
        target.url,
        `${schema}
        CREATE TABLE s.t (x varchar(50) CONSTRAINT allowed CHECK (x IN ('a', 'b')));
        CREATE VIEW s.v WITH (security_barrier) AS SELECT r, c FROM (SELECT r, c FROM s.a UNION ALL SELECT r, NULL FROM s.b) q;`,
      );
      const onTarget = await readTargetCatalog(target.url);
      await runSql(
        shadow.url,
        `${schema}
        CREATE TABLE s.t (x varchar(50), CONSTRAINT allowed ${onTarget.tables.find((t) => t.name === 't')!.constraints[0]!.definition});
        COMMENT ON CONSTRAINT allowed ON s.t IS 'kept';
        CREATE VIEW s.v WITH (security_barrier) AS ${onTarget.views.find((v) => v.name === 'v')!.definition}`,
      );

      expect(await restoreReparsedDefinitions(shadow.url, onTarget, await readTargetCatalog(shadow.url))).toBe(0);
      const kept = await querySql(
        shadow.url,
        `SELECT obj_description(oid, 'pg_constraint') AS comment, (SELECT reloptions::text FROM pg_class WHERE oid = 's.v'::regclass) AS options FROM pg_constraint WHERE conname = 'allowed'`,
      );
      expect(kept).toEqual([{ comment: 'kept', options: '{security_barrier=true}' }]);
    } finally {
      await target.drop();
      await shadow.drop();
    }
  });
});
