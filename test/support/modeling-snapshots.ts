/**
 * The modeller's output for each example spec, kept under examples/snapshots/ so that a change to the
 * modeller shows up as a diff a person reviews: `npm run snapshots:modeling` writes them, and
 * test/modeling-snapshots.test.ts fails while they differ from what the modeller now produces.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { designDocuments, loadSpec, modelSpec } from '../../activities/modeling';

export const EXAMPLES_DIR = join(__dirname, '../../examples');
export const SNAPSHOTS_DIR = join(EXAMPLES_DIR, 'snapshots');
/** Range partitions start from this day, so the snapshots do not change with the calendar. */
const NOW = new Date('2026-11-27T12:00:00Z');
const EXTENSIONS = { ddl: 'sql', erd: 'mmd', 'index-plan': 'md', report: 'md' } as const;

/** Every example's documents, by their path under examples/snapshots/ (`saas/ddl.sql`). */
export async function modelingSnapshots(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const file of readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml'))) {
    const spec = await loadSpec(readFileSync(join(EXAMPLES_DIR, file), 'utf8'), file);
    const model = modelSpec(spec, { now: NOW });
    const documents = designDocuments({ model, findings: model.findings });
    for (const [name, text] of Object.entries(documents))
      files.set(`${file.replace(/\.yaml$/, '')}/${name}.${EXTENSIONS[name as keyof typeof EXTENSIONS]}`, text);
  }
  return files;
}

/** The snapshot files on disk, by the same paths. */
export function storedSnapshots(): Map<string, string> {
  const files = new Map<string, string>();
  for (const example of readdirSync(SNAPSHOTS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()))
    for (const file of readdirSync(join(SNAPSHOTS_DIR, example.name)))
      files.set(`${example.name}/${file}`, readFileSync(join(SNAPSHOTS_DIR, example.name, file), 'utf8'));
  return files;
}

if (require.main === module) {
  modelingSnapshots()
    .then((files) => {
      rmSync(SNAPSHOTS_DIR, { recursive: true, force: true });
      for (const [path, text] of files) {
        mkdirSync(join(SNAPSHOTS_DIR, path.split('/')[0]!), { recursive: true });
        writeFileSync(join(SNAPSHOTS_DIR, path), text);
      }
      console.log(
        `Wrote ${files.size} files under examples/snapshots/: review the diff (git diff examples/snapshots) before committing.`,
      );
    })
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
