import { digestOf, getArtifact, putArtifact } from './artifacts';
import { migrateStore } from './database';
import { createTestStore, type TestStore } from '../test/support/stack';

describe('the project store', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(() => store?.close());

  it('keeps each artifact once, under the sha256 of its content', async () => {
    const first = await putArtifact(store.pool, 'ddl', 'application/sql', 'CREATE TABLE t (id int);');
    const again = await putArtifact(store.pool, 'ddl', 'application/sql', 'CREATE TABLE t (id int);');
    expect(again).toEqual(first);
    expect(first.digest).toBe(digestOf('CREATE TABLE t (id int);'));
    const { rows } = await store.pool.query('SELECT count(*)::int AS n FROM artifacts WHERE digest = $1', [
      first.digest,
    ]);
    expect(rows[0].n).toBe(1);
    expect((await getArtifact(store.pool, first.digest)).content).toBe('CREATE TABLE t (id int);');
  });

  it('refuses an artifact whose content was changed behind its digest', async () => {
    const ref = await putArtifact(store.pool, 'report', 'text/markdown', '# original');
    await store.admin.query('UPDATE artifacts SET content = $2 WHERE digest = $1', [ref.digest, '# altered']);
    await expect(getArtifact(store.pool, ref.digest)).rejects.toThrow(
      `Artifact ${ref.digest} does not match its digest`,
    );
  });

  it('says which artifact is missing', async () => {
    await expect(getArtifact(store.pool, digestOf('never stored'))).rejects.toThrow(
      /^No artifact sha256:[0-9a-f]{64} in the store\.$/,
    );
  });

  it('migrates once: a second run applies nothing', async () => {
    expect(await migrateStore(store.pool)).toEqual([]);
  });
});
