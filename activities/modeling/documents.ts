import { renderFindings } from '../../artifacts/findings-report';
import type { Finding } from '../../artifacts/findings';
import type { DesignMigration } from './design-migration';
import type { DesignModel, PlannedIndex } from './design-model';
import type { IndexVerification } from './index-verification';

export type DesignDocumentName = 'ddl' | 'erd' | 'index-plan' | 'report';

export interface DesignDocumentInput {
  model: DesignModel;
  findings: Finding[];
  migration?: DesignMigration;
  verification?: IndexVerification;
  /** Mermaid ERD of the target's current schema, when there is a target. */
  currentErd?: string;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const keyText = (index: PlannedIndex) => index.keys.map((k) => `${k.column}${k.descending ? ' DESC' : ''}`).join(', ');

/** The four documents the modeling activity stores as artifacts, and the CLI writes to --out. */
export function designDocuments(input: DesignDocumentInput): Record<DesignDocumentName, string> {
  return {
    ddl: input.model.ddl,
    erd: erdDocument(input),
    'index-plan': indexPlanDocument(input),
    report: reportDocument(input),
  };
}

function erdDocument({ model, currentErd }: DesignDocumentInput): string {
  const parts = [
    `# ${model.name}: entity-relationship diagrams\n\n## Proposed schema\n\n\`\`\`mermaid\n${model.erd}\`\`\``,
  ];
  if (currentErd !== undefined) parts.push(`## Current schema of the target\n\n\`\`\`mermaid\n${currentErd}\`\`\``);
  return `${parts.join('\n\n')}\n`;
}

function indexPlanDocument({ model, verification }: DesignDocumentInput): string {
  const rows = model.indexes.map(
    (i) =>
      `| \`${i.name}\` | ${i.table} | ${cell(keyText(i))} | ${i.include.join(', ')} | ${cell(i.where ?? '')} | ${i.origin} | ${cell(i.patterns.join('; '))} | ${cell(i.rationale)} |`,
  );
  const parts = [
    `# ${model.name}: index plan`,
    'Equality columns first, then sort columns in ORDER BY order, then range columns; partial where a pattern filters on a constant; INCLUDE where a frequent pattern reads a few more columns, each of bounded width, so the read is index-only. Indexes a key, a unique constraint or a longer index already serves are folded into it.',
    '| index | table | key | include | where | origin | patterns | why |\n|---|---|---|---|---|---|---|---|\n' +
      rows.join('\n'),
  ];
  parts.push(verificationSection(verification));
  if (model.droppedIndexes.length > 0)
    parts.push(
      `## Left out after EXPLAIN\n\n${model.droppedIndexes.map((d) => `- \`${d.name}\` on ${d.table}: ${d.reason}`).join('\n')}`,
    );
  return `${parts.join('\n\n')}\n`;
}

function verificationSection(verification: IndexVerification | undefined): string {
  if (!verification)
    return '## Verification\n\nNot verified: there was no PostgreSQL server to EXPLAIN the patterns on (give a target).';
  const tables = verification.tables.map(
    (t) =>
      `| ${t.table} | ${t.rows.toLocaleString('en-US')} | ${t.basis} | ${t.sampled}${t.error ? ` ${cell(t.error)}` : ''} |`,
  );
  const rows = verification.patterns.map(
    (v) =>
      `| ${cell(v.pattern)} | ${v.verdict} | ${v.planned.map((p) => `\`${p}\``).join(', ')} | ${v.used.map((u) => `\`${u}\``).join(', ')} | ${v.sequentialScans.join(', ')}${v.error ? ` ${cell(v.error)}` : ''} | ${v.verdict === 'write' || v.error ? '' : v.sorts ? 'yes' : 'no'} | ${v.cost ?? ''} |`,
  );
  return [
    '## Verification',
    "Each pattern EXPLAINed (generic plan) on a shadow database holding the design, its planner made to believe each table holds the rows below: a sample of each table gives the value distributions, a reference the referenced table's row count as its distinct values, and the row counts are scaled to the volumes (page counts stay the sample's, so I/O costs are understated). A table the spec gives no volume is taken at the sample's size, where a sequential scan can be the better plan.",
    `| table | rows | from | sampled rows |\n|---|---|---|---|\n${tables.join('\n')}`,
    `| pattern | verdict | planned | used | sequential scans | sorts | cost |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}`,
  ].join('\n\n');
}

function reportDocument(input: DesignDocumentInput): string {
  const { model, findings, migration, verification } = input;
  const parts = [
    `# Design: ${model.name}`,
    `PostgreSQL ${model.postgres}, schema \`${model.schema}\`: ${model.tables.length} tables, ${model.enums.length} enum types, ${model.indexes.filter((i) => i.origin !== 'key').length} indexes beyond keys, ${model.partitions.length} partitioned tables, ${model.policies.length} row-level security policies.`,
  ];
  if (model.unpartitioned.length > 0)
    parts.push(
      `## Left unpartitioned\n\n${model.unpartitioned.map((u) => `- **${u.table}**: ${u.reason}`).join('\n')}`,
    );
  if (model.partitions.length > 0) {
    parts.push(
      `## Partitioning\n\n${model.partitions.map((p) => `- **${p.table}**: ${p.strategy} on \`${p.key}\` (${p.strategy === 'range' ? `one partition per ${p.interval}` : `${p.interval} partitions`}). ${p.reason} ${p.maintenance}`).join('\n')}`,
    );
  }
  if (model.policies.length > 0) {
    parts.push(
      `## Row-level security\n\nThe application sets \`app.tenant_id\` per connection or transaction; a connection that does not sees no rows.\n\n${model.policies.map((p) => `- **${p.table}**: \`USING (${p.using})\``).join('\n')}`,
    );
  }
  const pii = model.tables.flatMap((t) => t.columns.filter((c) => c.pii).map((c) => `${t.name}.${c.name}`));
  if (pii.length > 0) parts.push(`## Personal data\n\n${pii.map((c) => `- ${c}`).join('\n')}`);
  if (migration) {
    const missingUndo = migration.steps.filter((s) => !s.undo).length;
    parts.push(
      `## Migration\n\n${migration.steps.length} steps up (${missingUndo} without an undo of their own: the down migration restores those), ${migration.downSteps.length} steps down.\n\n- target fingerprint: \`${migration.fingerprints.target}\`\n- desired fingerprint: \`${migration.fingerprints.desired}\``,
    );
  }
  parts.push(verificationSection(verification));
  parts.push(
    renderFindings(findings, 'markdown', {
      target: model.name,
      fingerprint: migration?.fingerprints.desired ?? 'not applied',
      tables: model.tables.length,
      indexes: model.indexes.length,
    }).replace('## Schema analysis', '## Findings'),
  );
  return `${parts.join('\n\n')}\n`;
}
