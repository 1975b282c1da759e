import { modelingSnapshots, storedSnapshots } from './support/modeling-snapshots';

it('the examples’ modeller output matches the reviewed snapshots (npm run snapshots:modeling updates them on purpose)', async () => {
  const produced = await modelingSnapshots();
  const stored = storedSnapshots();
  expect([...stored.keys()].sort()).toEqual([...produced.keys()].sort());
  for (const [path, text] of produced) expect({ path, text: stored.get(path) }).toEqual({ path, text });
});
