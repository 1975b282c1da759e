import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateTemporalCli, TemporalCliNotFoundError } from './temporal-cli';
import { testStack } from '../test/support/stack';

describe('finding the Temporal CLI', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sw-cli-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const quiet = () => undefined;

  it('takes TEMPORAL_CLI_PATH first', async () => {
    const { temporalCliPath } = testStack();
    await expect(
      locateTemporalCli({ env: { TEMPORAL_CLI_PATH: temporalCliPath, PATH: '' }, progress: quiet }),
    ).resolves.toEqual({
      path: temporalCliPath,
      source: 'TEMPORAL_CLI_PATH',
    });
  });

  it('says what to do when TEMPORAL_CLI_PATH is not an executable', async () => {
    const missing = join(scratch, 'nope');
    await expect(locateTemporalCli({ env: { TEMPORAL_CLI_PATH: missing }, progress: quiet })).rejects.toThrow(
      `TEMPORAL_CLI_PATH=${missing} is not an executable file. Point it at the temporal CLI v1.5.1 binary`,
    );
  });

  it('uses `temporal` on PATH when it reports the pinned version', async () => {
    const bin = join(scratch, 'bin');
    require('node:fs').mkdirSync(bin);
    symlinkSync(testStack().temporalCliPath, join(bin, 'temporal'));
    await expect(
      locateTemporalCli({ env: { PATH: bin, XDG_CACHE_HOME: join(scratch, 'cache') }, progress: quiet }),
    ).resolves.toEqual({
      path: join(bin, 'temporal'),
      source: 'PATH',
    });
  });

  it('stops with what to install when nothing provides it (no PATH, empty cache, no Go, no download)', async () => {
    const env = { PATH: '', XDG_CACHE_HOME: join(scratch, 'empty-cache'), SCHEMAWRIGHT_NO_DOWNLOAD: '1' };
    const attempt = locateTemporalCli({ env, progress: quiet });
    await expect(attempt).rejects.toBeInstanceOf(TemporalCliNotFoundError);
    await expect(attempt).rejects.toThrow(
      /Go is not on PATH[\s\S]*install Go >= 1\.25[\s\S]*TEMPORAL_CLI_PATH=\/path\/to\/temporal/,
    );
  });
});
