import { UpdateLanes } from './update-lanes';

describe('UpdateLanes: a few Updates per request at a time, a bounded line, the rest turned away', () => {
  it('runs 2 at once per key, lets 3 wait in order, turns the next away, and frees the lane when done', async () => {
    const lanes = new UpdateLanes(2, 3);
    const started: number[] = [];
    const release: (() => void)[] = [];
    const work = (n: number) => () =>
      new Promise<number>((resolve) => {
        started.push(n);
        release.push(() => resolve(n));
      });
    const runs = [1, 2, 3, 4, 5].map((n) => lanes.run('r1', work(n)));
    expect(await lanes.run('r1', work(6))).toBeUndefined();
    const other = lanes.run('r2', work(7));
    expect(started).toEqual([1, 2, 7]);
    for (let done = 0; done < 6; done++) {
      release.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(runs)).toEqual([1, 2, 3, 4, 5].map((value) => ({ value })));
    expect(await other).toEqual({ value: 7 });
    expect(started).toEqual([1, 2, 7, 3, 4, 5]);
    expect(await lanes.run('r1', async () => 8)).toEqual({ value: 8 });
  });
});
