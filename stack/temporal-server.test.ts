import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { startTemporalDevServer, temporalReady } from './temporal-server';
import { testStack } from '../test/support/stack';

describe('starting the Temporal dev server', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sw-devserver-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('tries once more when the server exits during startup, and then serves', async () => {
    // The real CLI behind a wrapper whose first start dies the way the dev server now and then does.
    const died = join(scratch, 'died-once');
    const cli = join(scratch, 'temporal');
    writeFileSync(
      cli,
      `#!/bin/sh\nif [ ! -e '${died}' ]; then touch '${died}'; echo 'panic: in buildServer' >&2; exit 2; fi\nexec '${testStack().temporalCliPath}' "$@"\n`,
    );
    chmodSync(cli, 0o755);
    const server = await startTemporalDevServer({
      cliPath: cli,
      port: await freePort(),
      namespace: 'default',
      logFile: join(scratch, 'temporal.log'),
    });
    try {
      expect(existsSync(died)).toBe(true);
      expect(await temporalReady(server.address, 'default')).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
