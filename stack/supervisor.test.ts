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

  const KEEPS_RUNNING = "console.log('ready'); setInterval(() => undefined, 1000);";
  /** A supervised `name` running `script`, and what the supervisor said about it. */
  function supervise(name: string, script: string, options: { maxRestarts?: number; backoffMs: number }) {
    const said: string[] = [];
    const child = superviseChild({ start: start(name, script), ready, say: (line) => said.push(line), ...options });
    supervised.push(child);
    return { child, said };
  }

  it('restarts one killed by SIGKILL, says so, and the new one runs', async () => {
    const { child: worker, said } = supervise('worker', KEEPS_RUNNING, { backoffMs: 50 });
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
    const { child: web, said } = supervise(
      'web',
      "console.log('ready'); console.error('out of memory, say'); process.exit(3);",
      { maxRestarts: 2, backoffMs: 20 },
    );
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
    const { child: worker, said } = supervise('stopped', KEEPS_RUNNING, { backoffMs: 10 });
    await worker.started;
    await worker.stop();
    expect(worker.current().process.signalCode).toBe('SIGTERM');
    expect(worker.restarts()).toBe(0);
    expect(said).toEqual([]);
  });
});
