import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { readClientEnvironment } from '../config/environment';
import { DEFAULT_PORTS, defaultPortsIn } from './support/isolation';

const ROOT = join(__dirname, '..');

describe("no process a test starts reaches a developer's own stack", () => {
  it('the run has a home of its own (not the checkout .schemawright/ that npm start writes) and no default port', () => {
    expect(readClientEnvironment(process.env, ROOT).home).not.toBe(join(ROOT, '.schemawright'));
    expect(defaultPortsIn(process.env, ROOT)).toEqual([]);
    expect([...DEFAULT_PORTS].sort()).toEqual([2525, 5432, 54329, 7233, 8080, 8233, 9464]);
  });

  it('a child whose mail would go to the default capture port 2525 is refused before it starts', () => {
    const { SCHEMAWRIGHT_MAIL_CAPTURE_PORT: _mail, ...env } = process.env;
    expect(() => execFile(process.execPath, ['-e', ''], { env, cwd: ROOT })).toThrow(
      `A test started ${process.execPath} with an environment that reaches a default port (the mail capture (SCHEMAWRIGHT_MAIL_CAPTURE_PORT) is port 2525), where a developer's own stack may listen: give it the test's own ports.`,
    );
  });

  it('a child pointed at a Temporal or a web server on their default ports is refused, whichever way it is spawned', () => {
    expect(() =>
      spawn(process.execPath, ['-e', ''], { env: { ...process.env, TEMPORAL_ADDRESS: 'localhost:7233' } }),
    ).toThrow('the Temporal address is port 7233');
    expect(() =>
      spawn(process.execPath, ['-e', ''], { env: { ...process.env, SCHEMAWRIGHT_WEB_URL: 'http://127.0.0.1:8080' } }),
    ).toThrow('links in mail and Slack (SCHEMAWRIGHT_WEB_URL) is port 8080');
  });

  it('a child with the run’s own environment starts', async () => {
    const code = await new Promise<number | null>((resolveExit) =>
      spawn(process.execPath, ['-e', ''], { cwd: ROOT }).once('exit', resolveExit),
    );
    expect(code).toBe(0);
  });
});
