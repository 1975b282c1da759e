import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type ManagedChild } from './child-process';
import { superviseChild, type SupervisedChild } from './supervisor';
import { StopWaiting, waitFor } from './wait';

describe('superviseChild: a child of npm start that dies is restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-supervisor-'));
  const supervised: SupervisedChild[] = [];
  afterAll(async () => {
    for (const child of supervised) await child.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A real node process running `script`, logging to `name`.log. */
  const start = (name: string, script: string) => () =>
    startChild(name, process.execPath, ['-e', script], join(dir, `${name}.log`));
  const ready = (child: ManagedChild) =>
    waitFor(`${child.name} to say ready`, () => {
      if (/ready/.test(child.ownOutput())) return true;
      if (child.process.exitCode !== null || child.process.signalCode !== null)
        throw new StopWaiting(`${child.name} exited during startup`);
      return undefined;
    });

  it('restarts one killed by SIGKILL, says so, and the new one runs', async () => {
    const said: string[] = [];
    const worker = superviseChild({
      start: start('worker', "console.log('ready'); setInterval(() => undefined, 1000);"),
      ready,
      say: (line) => said.push(line),
      backoffMs: 50,
    });
    supervised.push(worker);
    await worker.started;
    const first = worker.current().process;
    first.kill('SIGKILL');
    await waitFor('the worker to be restarted', () => (said.includes('worker restarted') ? true : undefined));
    expect(said).toEqual([
      'worker was killed by SIGKILL; restarting it in 0.05 s (restart 1 of 5)',
      'worker restarted',
    ]);
    expect(worker.restarts()).toBe(1);
    expect(worker.current().process.pid).not.toBe(first.pid);
    expect(worker.current().process.exitCode).toBeNull();
  });

  it('gives up when restarts keep failing, with the backoff doubling and the last output', async () => {
    const said: string[] = [];
    const web = superviseChild({
      start: start('web', "console.log('ready'); console.error('out of memory, say'); process.exit(3);"),
      ready,
      say: (line) => said.push(line),
      maxRestarts: 2,
      backoffMs: 20,
    });
    supervised.push(web);
    await web.started;
    const message = await web.gaveUp;
    expect(said.filter((line) => line.includes('restarting'))).toEqual([
      'web exited with code 3; restarting it in 0.02 s (restart 1 of 2)',
      'web exited with code 3; restarting it in 0.04 s (restart 2 of 2)',
    ]);
    expect(message).toMatch(
      /^web exited with code 3 and was restarted 2 times in a row without staying up; its log \(.+web\.log\) ends with:\n/,
    );
    expect(message).toContain('out of memory, say');
    expect(web.restarts()).toBe(2);
  });

  it('does not restart a child it was asked to stop', async () => {
    const said: string[] = [];
    const worker = superviseChild({
      start: start('stopped', "console.log('ready'); setInterval(() => undefined, 1000);"),
      ready,
      say: (line) => said.push(line),
      backoffMs: 10,
    });
    await worker.started;
    await worker.stop();
    expect(worker.current().process.signalCode).toBe('SIGTERM');
    expect(worker.restarts()).toBe(0);
    expect(said).toEqual([]);
  });
});
