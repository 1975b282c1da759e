import { readMigrationFiles } from '../../artifacts/migration-files';
import { reviewMigration, type ReviewReport } from '../../activities/review/review';
import { LEMMY_DIR, MARQUEZ_DIR } from '../support/fixtures';

function idsOf(report: ReviewReport, pathPart: string): string[] {
  const file = report.files.find((f) => f.path.includes(pathPart));
  if (!file) throw new Error(`no reviewed file matches ${pathPart}`);
  return [...new Set(file.findings.map((f) => f.id))].sort();
}

describe('review of real migration histories', () => {
  it('reviews all 342 Lemmy migrations (up and down) without a crash, with known findings', async () => {
    const files = readMigrationFiles(LEMMY_DIR);
    expect(files).toHaveLength(342);
    expect(files.every((f) => f.down !== undefined)).toBe(true);
    const report = await reviewMigration({ files, pgVersion: '16' });
    expect(report.files).toHaveLength(342);
    // Lemmy chose json over jsonb for received activities, to save space.
    expect(idsOf(report, '2023-07-11-084714_receive_activity_table')).toContain('SW-L-JSON');
    // apub_columns adds NOT NULL columns whose default calls a volatile function, and UNIQUE constraints.
    expect(idsOf(report, '2021-02-02-153240_apub_columns')).toEqual(
      expect.arrayContaining(['adding-field-with-default', 'disallowed-unique-constraint']),
    );
    expect(idsOf(report, '2022-11-20-032430_sticky_local')).toEqual(
      expect.arrayContaining(['renaming-column', 'renaming-table']),
    );
    // Statically every Lemmy down looks sound (renames, CREATE TABLE AS and rebuilds are followed);
    // apub_columns' real defect needs the shadow database (shadow.test.ts).
    expect(report.findings.filter((f) => f.id === 'SW-L-DOWN-FAILS')).toEqual([]);
    // Every finding carries a position in its file.
    expect(report.findings.every((f) => f.location && f.location.line >= 1 && f.location.column >= 1)).toBe(true);
  });

  it('reviews all 84 Marquez migrations in Flyway order; V47 becomes a non-transactional step', async () => {
    const files = readMigrationFiles(MARQUEZ_DIR);
    expect(files).toHaveLength(84);
    expect(files[0]!.path).toBe('V1__initial_schema.sql');
    expect(files.slice(-3).every((f) => f.path.startsWith('R__'))).toBe(true);
    const order = files.map((f) => f.path);
    expect(order.indexOf('V2__alter_job_versions.sql')).toBeLessThan(order.findIndex((p) => p.startsWith('V2.1__')));
    const report = await reviewMigration({ files, pgVersion: '16' });
    const v47 = report.files.find((f) => f.path.startsWith('V47__'))!;
    expect(v47.steps).toEqual([
      {
        kind: 'non-transactional',
        name: 'V47__add_lineage_event_indexes#1',
        sql: 'CREATE INDEX CONCURRENTLY lineage_events_event_time\n    on lineage_events(event_time DESC)',
      },
    ]);
    // Flyway has no down migrations: dropping tables cannot be undone.
    expect(idsOf(report, 'V35__drop_io_mapping_tables')).toEqual(['SW-L-IRREVERSIBLE', 'ban-drop-table']);
  });
});
