/**
 * `npm run bench:cli`: whole-process wall time and peak memory of the compiled `schemawright` CLI,
 * median of BENCH_RUNS (10) runs, beside squawk on the same input in the same run: as npm installs it
 * (`squawk`, a Node launcher that starts its binary) and its native binary alone. Prints, asserts nothing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQUAWK_BIN } from '../activities/review/lint/squawk';
import { LEMMY_DIR } from '../test/support/fixtures';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const SQUAWK_LAUNCHER = join(ROOT, 'node_modules', '.bin', 'squawk');
/** GNU time reports the peak resident set of the whole process tree's main process. */
const GNU_TIME = '/usr/bin/time';

interface Measure {
  seconds: number;
  peakMiB: number | undefined;
}

/** Wall time from here (GNU time's own is in hundredths); peak memory from GNU time where there is one. */
function once(command: string, args: string[]): Measure {
  const withTime = existsSync(GNU_TIME);
  const started = performance.now();
  const { stderr } = withTime
    ? spawnSync(GNU_TIME, ['-f', '%M', command, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 })
    : spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 30 });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, peakMiB: withTime ? Number(stderr.trim().split('\n').at(-1)) / 1024 : undefined };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function measure(command: string, args: string[], runs = RUNS): Measure {
  const all = Array.from({ length: runs }, () => once(command, args));
  const peaks = all.map((m) => m.peakMiB).filter((m): m is number => m !== undefined);
  return { seconds: median(all.map((m) => m.seconds)), peakMiB: peaks.length ? median(peaks) : undefined };
}

function show(label: string, m: Measure, baseline?: Measure): string {
  const memory = m.peakMiB === undefined ? 'n/a' : `${m.peakMiB.toFixed(0)} MiB`;
  const ratio = baseline
    ? `  (${(m.seconds / baseline.seconds).toFixed(1)}× the time${
        m.peakMiB && baseline.peakMiB ? `, ${(m.peakMiB / baseline.peakMiB).toFixed(1)}× the memory` : ''
      })`
    : '';
  return `  ${label.padEnd(34)} ${m.seconds.toFixed(3).padStart(7)} s  ${memory.padStart(8)}${ratio}`;
}

function compare(title: string, ours: string[], squawkArgs: string[], runs = RUNS): void {
  console.log(`\n${title} (median of ${runs})`);
  const launcher = measure(SQUAWK_LAUNCHER, squawkArgs, runs);
  const native = measure(SQUAWK_BIN, squawkArgs, runs);
  const schemawright = measure(process.execPath, ['cli/bin.js', ...ours], runs);
  console.log(show('squawk (npm launcher)', launcher));
  console.log(show('squawk (native binary)', native));
  console.log(show('schemawright', schemawright, launcher));
  console.log(
    `  ratio to the launcher ${(schemawright.seconds / launcher.seconds).toFixed(1)}×, to the binary ${(schemawright.seconds / native.seconds).toFixed(1)}×`,
  );
}

function main(): void {
  // The build the CLI runs: compiled now, so no run below pays for it.
  execFileSync(process.execPath, ['cli/compile.mjs'], { cwd: ROOT, stdio: 'inherit' });
  const work = mkdtempSync(join(tmpdir(), 'sw-bench-cli-'));
  try {
    const small = join(work, 'two-statements.sql');
    writeFileSync(
      small,
      'CREATE TABLE note (id bigint PRIMARY KEY, body text);\nCREATE INDEX note_body ON note (body);\n',
    );
    const lemmyFiles = readdirSync(LEMMY_DIR, { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('.sql'))
      .map((file) => join(LEMMY_DIR, file));

    compare('--help', ['--help'], ['--help']);
    compare('review of a 2-statement file', ['review', small], [small]);
    const lemmyRuns = Number(process.env.BENCH_LEMMY_RUNS ?? RUNS);
    compare(`review of Lemmy's ${lemmyFiles.length} migration files`, ['review', LEMMY_DIR], lemmyFiles, lemmyRuns);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
