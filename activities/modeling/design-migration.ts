import { Client } from 'pg';
import { fingerprint, introspect, type Catalog } from '../../postgres/introspection';
import type { Migration, MigrationStep } from '../../artifacts/migration';
import { parseStatements } from '../../postgres/parse';
import type { PgVersion } from '../../postgres/pg-version';
import { withShadowDatabase } from '../../postgres/shadow';
import { stepsAsWritten } from '../../postgres/steps';
import type { DesignModel } from './design-model';
import { greenfield } from './greenfield';
import { closedSchemaDiff } from './migra-gaps';
import { inverseOf } from './undo';

/** The migration to a design, with the way back and the fingerprints that prove both. */
export interface DesignMigration extends Migration {
  /** desired → target, newest change first: what restores the target's schema. */
  downSteps: MigrationStep[];
  /** The schema fingerprint `up` must produce, and the one `down` must bring back. */
  fingerprints: { target: string; desired: string };
}

export class DesignDdlError extends Error {
  override name = 'DesignDdlError';
}

/**
 * The migration from the target's current schema to the design: the design's DDL is applied to a
 * shadow database on the target's own server, and migra diffs the two, target → desired for up and
 * desired → target for down. Every statement is a step (CONCURRENTLY ones non-transactional), with
 * its undo where the statement alone says how. Only the design's schema is compared: other schemas
 * on the target are left alone. The target's catalog is the one analysis read.
 */
export async function designMigration(
  model: DesignModel,
  target: { connectionString: string; catalog: Catalog },
  options: { now?: Date } = {},
): Promise<DesignMigration> {
  return withShadowDatabase(target.connectionString, async (shadowUrl, version) => {
    const shadow = new Client({ connectionString: shadowUrl });
    await shadow.connect();
    let desired: Catalog;
    try {
      await shadow.query(model.ddl).catch((error: Error) => {
        throw new DesignDdlError(
          `The design's DDL does not load on the target's server: ${error.message}. This is a modeling bug or a version the design does not support; the DDL is in the design's documents.`,
        );
      });
      desired = await introspect(shadow, { statements: 0 });
    } finally {
      await shadow.end();
    }
    const current = target.catalog;
    const diff = async (from: { url: string; catalog: Catalog }, to: { url: string; catalog: Catalog }) =>
      online(
        greenfield(await closedSchemaDiff(from, to, model.schema), from.catalog, to.catalog),
        from.catalog,
        to.catalog,
      );
    const targetSide = { url: target.connectionString, catalog: current };
    const desiredSide = { url: shadowUrl, catalog: desired };
    const name = `design_${model.name}`;
    return {
      version: (options.now ?? new Date()).toISOString().replace(/\D/g, '').slice(0, 14),
      name,
      steps: await statementSteps(name, await diff(targetSide, desiredSide), version),
      downSteps: await statementSteps(`${name}_down`, await diff(desiredSide, targetSide), version),
      fingerprints: { target: fingerprint(current), desired: fingerprint(desired) },
    };
  });
}

async function statementSteps(name: string, statements: string[], version: PgVersion): Promise<MigrationStep[]> {
  const steps: MigrationStep[] = [];
  for (const text of statements) {
    const [statement] = await parseStatements(text);
    if (!statement) continue;
    const [step] = stepsAsWritten(`${name}#${steps.length + 1}`, [statement], version);
    const undo = inverseOf(statement);
    steps.push({ ...step!, sql: step!.sql.replace(/;?\s*$/, ';'), ...(undo ? { undo } : {}) });
  }
  return steps;
}

/**
 * Index changes on tables that already exist are made CONCURRENTLY, so writes go on while the index
 * builds (each becomes a non-transactional step); on tables the migration creates there is nothing
 * to block. Partitioned tables cannot build an index concurrently and keep the plain form.
 */
function online(statements: string[], from: Catalog, to: Catalog): string[] {
  const kept = new Set(to.tables.map((t) => `${t.schema}.${t.name}`));
  // Tables that exist before and after: the ones in use while the migration runs.
  const existing = new Set(
    from.tables
      .filter((t) => t.kind === 'table' && kept.has(`${t.schema}.${t.name}`))
      .map((t) => `${t.schema}.${t.name}`),
  );
  const indexTable = new Map(
    from.tables.flatMap((t) => t.indexes.map((i) => [`${t.schema}.${i.name}`, `${t.schema}.${t.name}`] as const)),
  );
  return statements.map((sql) => {
    const create = /^(create (?:unique )?index )(?!concurrently)(\S+) on (?:"?(\w+)"?\.)?"?(\w+)"? /i.exec(sql);
    if (create && existing.has(`${create[3] ?? 'public'}.${create[4]}`))
      return sql.replace(create[1]!, `${create[1]}CONCURRENTLY `);
    const drop = /^drop index (?!concurrently)(if exists )?(?:"?(\w+)"?\.)?"?(\w+)"?;?$/i.exec(sql.trim());
    const table = drop ? indexTable.get(`${drop[2] ?? 'public'}.${drop[3]}`) : undefined;
    if (drop && table && existing.has(table)) return sql.replace(/^drop index /i, 'DROP INDEX CONCURRENTLY ');
    return sql;
  });
}
