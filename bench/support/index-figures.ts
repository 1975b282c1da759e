/**
 * bench:modeling's index figures: per example and modeller, the indexes the DDL creates, the ones the
 * planner uses at the spec's volumes, their total size at the sample's scale, and each read pattern's
 * plan cost. "previous" is main's modeller, extracted with `git archive` into a temporary directory
 * and loaded from there, so both run in the same process against the same server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import * as current from '../../activities/modeling';
import type { DesignModel } from '../../activities/modeling';
import { SAMPLE_ROWS, shapeStatistics } from '../../activities/modeling/shaped-statistics';
import { quoteIdent } from '../../postgres/names';
import { withShadowDatabase } from '../../postgres/shadow';

const ROOT = join(__dirname, '../..');

export interface Modeller {
  label: string;
  model(specText: string, fileName: string): Promise<DesignModel>;
}

export interface IndexFigures {
  /** Indexes the DDL creates beyond those behind keys, and all of them. */
  planned: number;
  total: number;
  /** Indexes some read pattern's plan reads (a partition's index counted as its parent's). */
  used: number;
  /** Bytes of every index once each table holds its sample rows. */
  bytes: number;
  /** Total cost of each read pattern's generic plan, by pattern. */
  costs: Record<string, number>;
}

const NOW = new Date('2026-11-27T12:00:00Z');

type ModelingModule = typeof import('../../activities/modeling');

const fromModule = (label: string, module: ModelingModule): Modeller => ({
  label,
  model: async (text, fileName) => module.modelSpec(await module.loadSpec(text, fileName), { now: NOW }),
});

export const currentModeller: Modeller = fromModule('this branch', current);

/** Main's modeller (the merge base with main), unpacked beside this checkout's node_modules. */
export async function previousModeller(): Promise<{ modeller: Modeller; commit: string; remove(): void }> {
  const commit = execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(join(tmpdir(), 'schemawright-previous-modeller-'));
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const module = (await import(join(dir, 'activities/modeling/index.ts'))) as ModelingModule;
  return {
    modeller: fromModule(`main ${commit.slice(0, 7)}`, module),
    commit,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The model's DDL on a shadow database, statistics shaped to the spec's volumes, every read EXPLAINed. */
export async function indexFigures(model: DesignModel, server: string): Promise<IndexFigures> {
  return withShadowDatabase(server, async (url) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(model.ddl);
      await client.query('BEGIN');
      await shapeStatistics(client, model, 'pg_restore_relation_stats');
      await client.query(`SET LOCAL search_path TO ${quoteIdent(model.schema)}, public`);
      const { rows } = await client.query<{ index: string; parent: string | null; bytes: string }>(
        `SELECT i.relname AS index, p.relname AS parent, pg_relation_size(i.oid) AS bytes
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
           LEFT JOIN pg_inherits h ON h.inhrelid = i.oid LEFT JOIN pg_class p ON p.oid = h.inhparent
          WHERE n.nspname = $1`,
        [model.schema],
      );
      const parent = new Map(rows.map((r) => [r.index, r.parent]));
      const root = (name: string): string => (parent.get(name) ? root(parent.get(name)!) : name);
      const used = new Set<string>();
      const costs: Record<string, number> = {};
      for (const shape of model.patterns) {
        if (shape.kind === 'insert') continue;
        const plan = (
          await client.query<{ 'QUERY PLAN': unknown }>(
            `EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${model.patternSql[shape.pattern]}`,
          )
        ).rows[0]!['QUERY PLAN'] as { Plan: { 'Total Cost': number } }[];
        costs[shape.pattern] = plan[0]!.Plan['Total Cost'];
        for (const name of JSON.stringify(plan).matchAll(/"Index Name":"([^"]+)"/g)) used.add(root(name[1]!));
      }
      await client.query('ROLLBACK');
      return {
        planned: model.indexes.filter((i) => i.origin !== 'key').length,
        total: model.indexes.length,
        used: used.size,
        bytes: rows.reduce((sum, r) => sum + Number(r.bytes), 0),
        costs,
      };
    } finally {
      await client.end();
    }
  });
}

/** The figures of both modellers side by side, one block per example. */
export function printIndexFigures(file: string, results: { label: string; figures: IndexFigures }[]): void {
  const kb = (bytes: number) => `${Math.round(bytes / 1024)} kB`;
  console.log(`\n${file}`);
  console.log(
    `  ${'modeller'.padEnd(16)} indexes (beyond keys)  used by the planner  index size (${SAMPLE_ROWS} rows/table)`,
  );
  for (const { label, figures } of results)
    console.log(
      `  ${label.padEnd(16)} ${`${figures.total} (${figures.planned})`.padStart(21)}  ${String(figures.used).padStart(19)}  ${kb(figures.bytes).padStart(12)}`,
    );
  const patterns = [...new Set(results.flatMap((r) => Object.keys(r.figures.costs)))];
  console.log(`  plan cost per pattern: ${results.map((r) => r.label).join(' / ')}`);
  for (const pattern of patterns)
    console.log(
      `    ${pattern.padEnd(40)} ${results.map((r) => (r.figures.costs[pattern] ?? NaN).toFixed(2).padStart(10)).join(' ')}`,
    );
}
