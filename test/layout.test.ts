import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The layout README.md describes, kept true: a phase (analysis, modeling, review, apply) imports no
 * other phase; the PostgreSQL toolkit (postgres/) and the artifact types (artifacts/) import no phase.
 * What one phase needs of another is handed in by activities/index.ts.
 */
const ROOT = resolve(__dirname, '..');
const PHASES = ['analysis', 'modeling', 'review', 'apply'];

function sourceFiles(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(directory, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(directory, entry.name)]
        : [],
  );
}

/** Every relative module a file imports or re-exports, as a path from the repository's root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*'(\.{1,2}\/[^']*)'/g)].map((match) =>
    relative(ROOT, resolve(ROOT, dirname(file), match[1]!)),
  );
}

/** `activities/<phase>/...` → the phase; anything else → undefined. */
function phaseOf(path: string): string | undefined {
  const [top, phase] = path.split('/');
  return top === 'activities' && PHASES.includes(phase!) ? phase : undefined;
}

function crossings(directories: string[], forbidden: (from: string, to: string) => boolean): string[] {
  return directories.flatMap((directory) =>
    sourceFiles(directory).flatMap((file) =>
      importsOf(file)
        .filter((to) => forbidden(file, to))
        .map((to) => `${file} imports ${to}`),
    ),
  );
}

describe('the layout', () => {
  it('has no phase folder importing another phase folder', () => {
    const found = crossings(
      PHASES.map((phase) => `activities/${phase}`),
      (from, to) => phaseOf(to) !== undefined && phaseOf(to) !== phaseOf(from),
    );
    expect(found).toEqual([]);
  });

  it('keeps the PostgreSQL toolkit and the artifact types free of phases, activities and workflows', () => {
    const found = crossings(['postgres', 'artifacts'], (_from, to) =>
      /^(activities|workflows|approvals|cli|workers)(\/|$)/.test(to),
    );
    expect(found).toEqual([]);
  });

  it('sees a crossing when there is one', () => {
    // The checks above pass vacuously if nothing is read: the adapters do import their own phase and the toolkit.
    expect(importsOf('activities/apply/activity.ts')).toEqual(
      expect.arrayContaining(['activities/apply/reviewed-apply', 'postgres/target']),
    );
    expect(crossings(['activities/apply'], (_from, to) => to === 'postgres/target')).toContain(
      'activities/apply/activity.ts imports postgres/target',
    );
  });
});
