import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { readEnvironment } from './environment';
import { checkSplitHosts } from './split-hosts';

const env = (vars: Record<string, string>) => readEnvironment({ SCHEMAWRIGHT_HOME: '/srv/sw', ...vars }, '/');
const KEYS = 'links1:0123456789abcdef0123456789abcdef';

describe('checkSplitHosts: settings a worker and a web server on different hosts must share', () => {
  it('refuses a web URL off this host without token keys and SMTP, saying why and what to set', () => {
    expect(checkSplitHosts(env({ SCHEMAWRIGHT_WEB_URL: 'https://schema.example.com' }), 'worker')).toEqual({
      refuse:
        'the worker will not start: SCHEMAWRIGHT_WEB_URL (https://schema.example.com) is not this host, so the worker and the web server may run apart, and SCHEMAWRIGHT_TOKEN_KEYS and SMTP_URL are not set: ' +
        'links in email that one process signs are refused by the other (each generates its own token key in its SCHEMAWRIGHT_HOME); and mail goes to the local capture on 127.0.0.1:2525, which nobody reads on another host, without an error. ' +
        'Set on every worker and web server the same SCHEMAWRIGHT_TOKEN_KEYS=kid:secret (for instance `links1:$(openssl rand -hex 32)`) and SMTP_URL=smtp://user:password@host:587 (or smtps://...:465).',
    });
  });

  it('names only what is missing', () => {
    const check = checkSplitHosts(
      env({ SCHEMAWRIGHT_WEB_URL: 'https://schema.example.com', SCHEMAWRIGHT_TOKEN_KEYS: KEYS }),
      'web server',
    );
    expect(check.refuse).toMatch(/^the web server will not start: .* and SMTP_URL is not set: mail goes to/);
    expect(check.refuse).not.toContain('SCHEMAWRIGHT_TOKEN_KEYS');
  });

  it('warns a process started on its own with a local web URL, and says nothing once both are set or under npm start', () => {
    expect(checkSplitHosts(env({}), 'worker').warn).toMatch(
      /^this worker was started on its own without SCHEMAWRIGHT_TOKEN_KEYS and SMTP_URL: that works only while every worker and the web server run on this host with the same SCHEMAWRIGHT_HOME \(\/srv\/sw\)\. On separate hosts, /,
    );
    expect(
      checkSplitHosts(
        env({
          SCHEMAWRIGHT_WEB_URL: 'https://schema.example.com',
          SCHEMAWRIGHT_TOKEN_KEYS: KEYS,
          SMTP_URL: 'smtp://mail:587',
        }),
        'worker',
      ),
    ).toEqual({});
    expect(
      checkSplitHosts(
        env({ SCHEMAWRIGHT_WEB_URL: 'https://schema.example.com', SCHEMAWRIGHT_SUPERVISED: '1' }),
        'worker',
      ),
    ).toEqual({});
  });

  it('a worker process refuses at start, before connecting anywhere, with exit code 1', async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'cli/schemawright.ts', 'worker'],
        {
          cwd: join(__dirname, '..'),
          env: {
            ...process.env,
            SCHEMAWRIGHT_WEB_URL: 'https://schema.example.com',
            DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          },
        },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
      ),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^schemawright: the worker will not start: SCHEMAWRIGHT_WEB_URL \(https:\/\/schema\.example\.com\) is not this host/,
    );
  });
});
