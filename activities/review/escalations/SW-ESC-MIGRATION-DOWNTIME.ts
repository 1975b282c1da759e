import type { Escalation, EscalationOption } from '../../../artifacts/escalation';
import { blockingSeverity, formatBytes, formatSeconds } from '../locks';
import { onlineRewriteOf } from '../rewrites';
import { joinKeptStatements } from '../render';
import { destructiveChange } from './SW-ESC-DESTRUCTIVE';
import { writeHeavyIndex } from './SW-ESC-INDEX-WRITE-OVERHEAD';
import {
  blockingOf,
  deferOption,
  groupSharingSteps,
  rebuildSteps,
  slotName,
  statementsInSteps,
  statementsOf,
  uniqueSteps,
  type LocatedStatement,
} from './context';
import type { EscalationContext, EscalationTrigger } from './trigger';
import { statementOf } from '../../../postgres/ast';

const ID = 'SW-ESC-MIGRATION-DOWNTIME';

/** A statement whose lock blocks traffic for a material time (a warning or an error of the lock model). */
function blocking(located: LocatedStatement): boolean {
  return located.impacts.some((impact) => ['warning', 'error'].includes(blockingSeverity(impact) ?? ''));
}

/** A statement whose lock blocks traffic at all (a second or more by the lock model). */
function blocksAtAll(located: LocatedStatement): boolean {
  return located.impacts.some((impact) => blockingSeverity(impact) !== undefined);
}

/**
 * A plain CREATE INDEX that blocks writes for seconds (about 2 million rows and up): short of a
 * material outage, but CONCURRENTLY costs nothing but time, so people are asked rather than the
 * writes silently stopped.
 */
function blockingIndexBuild(located: LocatedStatement): boolean {
  return (
    located.statement.kind === 'IndexStmt' &&
    !statementOf(located.statement, 'IndexStmt')?.concurrent &&
    blocksAtAll(located)
  );
}

function escalationFor(
  group: { tables: string[]; statements: LocatedStatement[] },
  context: EscalationContext,
): Escalation {
  const stepNames = [...new Set(group.statements.map((s) => s.step.name))];
  const inSteps = statementsInSteps(context, stepNames);
  const asWritten = uniqueSteps(inSteps);
  const writtenBlocking = blockingOf(asWritten, context);
  const rewriteOf = (s: LocatedStatement) =>
    onlineRewriteOf(s.statement, { pgVersion: context.pgVersion, catalog: context.catalog, stepName: slotName(s) });
  const rewrites = new Map(group.statements.map((s) => [s, rewriteOf(s)]));
  // The online option also takes its online form for every other statement of these steps that blocks
  // at all (a SET NOT NULL beside the index build), rather than leave its scan under ACCESS EXCLUSIVE.
  const alongside = new Map(
    inSteps
      .filter((s) => !rewrites.has(s) && blocksAtAll(s))
      .flatMap((s) => {
        const rewrite = rewriteOf(s);
        return rewrite ? [[s, rewrite] as const] : [];
      }),
  );
  const impacts = group.statements.flatMap((s) => s.impacts.filter((i) => blockingSeverity(i)));
  const worst = impacts.reduce((a, b) => ((b.blockingSeconds ?? 0) > (a.blockingSeconds ?? 0) ? b : a));
  const options: EscalationOption[] = [];
  if ([...rewrites.values()].every((r) => r !== undefined)) {
    for (const [s, rewrite] of alongside) rewrites.set(s, rewrite);
    const replacement = rebuildSteps(inSteps, (s) => rewrites.get(s)?.steps);
    const seconds = blockingOf(replacement, context);
    options.push({
      id: 'online',
      title: `Online: ${[...new Set([...rewrites.values()].map((r) => r!.rewrite.id))].join(', ')}`,
      // Counted as the runner applies them (kept statements share a transaction again), as the outcome counts.
      summary: `The same end state in ${joinKeptStatements(replacement, stepNames).length} step(s) that take blocking locks only briefly: ${[...rewrites.values()].map((r) => r!.rewrite.explanation.split('. ')[1] ?? r!.rewrite.id).join(' ')}`,
      impact: {
        performance: `Reads and writes go on; the work runs longer and adds I/O while it does (blocking about ${formatSeconds(seconds ?? 0)}).`,
        consistency:
          'Same final schema; in between, constraints are enforced for new rows first and old rows after VALIDATE or the backfill.',
        scalability: 'Works at any table size: the cost grows with the table, the blocking does not.',
      },
      risk: 'low',
      blockingSeconds: seconds,
      replacement,
    });
  }
  options.push({
    id: 'maintenance-window',
    title: 'As written, in a maintenance window',
    summary: `Run the statements as written while the application is stopped or read-only; ${worst.blocks === 'reads+writes' ? 'reads and writes' : 'writes'} on ${group.tables.join(', ')} wait about ${formatSeconds(writtenBlocking ?? 0)}.`,
    impact: {
      performance: `An outage of about ${formatSeconds(writtenBlocking ?? 0)} for whatever uses ${group.tables.join(', ')}.`,
      consistency: 'Atomic: all or nothing in one transaction per step.',
      scalability: 'The window grows with the table; the next such change will need a longer one.',
    },
    risk: 'medium',
    blockingSeconds: writtenBlocking,
  });
  options.push(
    deferOption(
      'defer',
      'Defer',
      'Leave these statements out of this migration; later migrations that depend on them must wait too.',
      {
        performance: 'No impact now.',
        consistency: 'The schema stays as it is: what the change was for is not enforced or available.',
        scalability: 'The table keeps growing: the same change costs more later.',
      },
      inSteps,
      new Set(group.statements.map((s) => s.statement)),
      context,
    ),
  );
  const online = options.find((o) => o.id === 'online');
  return {
    id: `${ID}:${group.tables.join('+')}`,
    trigger: ID,
    task: context.task,
    problem: `${group.statements.map((s) => s.statement.sql.split('\n')[0]).join('; ')} — ${worst.rewrites ? 'rewrites' : 'reads'} ${worst.table} (${(worst.rows ?? 0).toLocaleString('en')} rows, ${formatBytes(worst.bytes ?? 0)}) under ${worst.lock}: ${worst.blocks === 'reads+writes' ? 'reads and writes' : 'writes'} wait about ${formatSeconds(writtenBlocking ?? 0)}.`,
    attempted: [
      `Estimated the locks with the lock model (${impacts.map((i) => `${i.table}: ${i.lock}, ${i.blockingSeconds} s`).join('; ')}).`,
      online
        ? `Built an online form and estimated its blocking: ${formatSeconds(online.blockingSeconds ?? 0)}.`
        : 'Looked for an online form: none applies to every statement concerned (see the online rewrites), so none is offered.',
    ],
    options,
    recommendation: online
      ? {
          optionId: 'online',
          reason: `It blocks about ${formatSeconds(online.blockingSeconds ?? 0)} instead of ${formatSeconds(writtenBlocking ?? 0)} for the same final schema.`,
        }
      : {
          optionId: 'maintenance-window',
          reason: 'No online form covers these statements; a planned window is safer than an unannounced outage.',
        },
    principles: [
      'Migration approach: downtime tolerance vs migration complexity',
      'Availability: never block production traffic without a decision',
    ],
    evidence: {
      tables: group.tables,
      impacts: impacts.map(({ notes: _notes, ...impact }) => impact),
      blockingSeconds: writtenBlocking,
    },
    steps: stepNames,
  };
}

const GB = 1e9;

export const migrationDowntime: EscalationTrigger = {
  id: ID,
  explanation:
    'A statement that holds a traffic-blocking lock for a material time (10 s or more by the lock model) over a large table is an outage unless someone plans it; ' +
    'so is a plain CREATE INDEX that blocks writes for a second or more (about 2 million rows), since CONCURRENTLY costs only time. ' +
    'The options lead to different migrations: the online form, the statement as written in a window, or no change now.',
  remedy:
    'Pick one option: the online form of the statements, the statements as written in a maintenance window, or ' +
    'leaving them out of this migration.',
  raise(context) {
    const candidates = statementsOf(context).filter(
      (s) => (blocking(s) || blockingIndexBuild(s)) && !destructiveChange(s, context) && !writeHeavyIndex(s, context),
    );
    const tables = (s: LocatedStatement) => s.impacts.filter((i) => blockingSeverity(i)).map((i) => i.table);
    return groupSharingSteps(candidates.map((located) => ({ located, objects: tables(located) }))).map((g) =>
      escalationFor({ tables: g.objects, statements: g.items.map((i) => i.located) }, context),
    );
  },
  examples: {
    fires: [
      {
        title: 'SET NOT NULL on a 50 GB table',
        sql: 'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL',
        tableSizes: { 'public.orders': { rows: 100_000_000, bytes: 50 * GB } },
        ids: [`${ID}:public.orders`],
      },
      {
        title: 'a foreign key validated on two large tables, in one step with an index build',
        sql: 'ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);\nCREATE INDEX customers_name ON customers (name)',
        tableSizes: {
          'public.orders': { rows: 100_000_000, bytes: 50 * GB },
          'public.customers': { rows: 5_000_000, bytes: 5 * GB },
        },
        ids: [`${ID}:public.customers+public.orders`],
      },
      {
        title: 'a plain index build on 2 million rows, with a SET NOT NULL in the same step',
        sql: 'CREATE INDEX orders_customer ON orders (customer_id);\nALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL',
        tableSizes: { 'public.orders': { rows: 2_000_000, bytes: 400_000_000 } },
        ids: [`${ID}:public.orders`],
      },
    ],
    quiet: [
      {
        title: 'the same on a tiny table',
        sql: 'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL',
        tableSizes: { 'public.orders': { rows: 10, bytes: 8192 } },
        ids: [],
      },
      {
        title: 'a non-volatile default on PostgreSQL 11+',
        sql: "ALTER TABLE orders ADD COLUMN state text NOT NULL DEFAULT 'new'",
        tableSizes: { 'public.orders': { rows: 100_000_000, bytes: 50 * GB } },
        ids: [],
      },
      { title: 'unknown sizes', sql: 'ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL', ids: [] },
    ],
  },
};
