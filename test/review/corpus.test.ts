import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reviewMigration } from '../../activities/review/review';

const CORPUS = join(__dirname, '../review-corpus');

interface CorpusCase {
  file: string;
  name: string;
  expect: string[];
  pgVersion?: string;
  down?: string;
  up: string;
}

/** Splits a corpus file into its cases (format in test/review-corpus/README.md). */
function readCases(file: string): CorpusCase[] {
  const text = readFileSync(join(CORPUS, file), 'utf8');
  return text
    .split(/^(?=-- case: )/m)
    .filter((chunk) => chunk.startsWith('-- case: '))
    .map((chunk) => {
      const header = (key: string) => new RegExp(`^-- ${key}: (.*)$`, 'm').exec(chunk)?.[1]?.trim();
      const expected = header('expect');
      if (expected === undefined) throw new Error(`${file}: case "${header('case')}" has no "-- expect:" line.`);
      return {
        file,
        name: header('case')!,
        expect:
          expected === 'none'
            ? []
            : expected
                .split(',')
                .map((id) => id.trim())
                .sort(),
        pgVersion: header('pg'),
        down: header('down'),
        up: chunk,
      };
    });
}

const cases = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .flatMap(readCases);

describe('review corpus', () => {
  it('has at least 150 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  it.each(cases.map((c) => [`${c.file}: ${c.name}`, c] as const))('%s', async (_title, c) => {
    const report = await reviewMigration({ files: [{ path: c.file, up: c.up, down: c.down }], pgVersion: c.pgVersion });
    expect([...new Set(report.findings.map((f) => f.id))].sort()).toEqual(c.expect);
  });
});
