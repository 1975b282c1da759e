import { quoteIdent, qualified } from '../../../postgres/names';
import type { Escalation, EscalationOption } from '../../../artifacts/escalation';
import { knownTables } from './known-tables';
import { addedStep, findingsOf, sizeOf } from './context';
import { exampleCatalog, exampleFinding } from './examples';
import type { EscalationContext, EscalationTrigger } from './trigger';

const ID = 'SW-ESC-GOVERNANCE';
const PII = 'SW-A-PII-UNPROTECTED';

function escalationFor(table: string, columns: string[], context: EscalationContext): Escalation {
  const id = `${ID}:${table}`;
  const known = knownTables(context).get(table);
  const primaryKey = known?.primaryKey.length ? known.primaryKey : undefined;
  const others = known?.columns.filter((c) => !columns.includes(c));
  const masked =
    others &&
    `CREATE VIEW ${qualified(`${table}_masked`)} AS SELECT ${[...others.map(quoteIdent), ...columns.map((c) => `left(md5(${quoteIdent(c)}::text), 12) AS ${quoteIdent(c)}`)].join(', ')} FROM ${qualified(table)}`;
  // The view reads the table with its owner's rights: granting it to PUBLIC would let every role read it.
  // So no grant here; the person grants it to the roles that read, by name.
  const restrict = [`REVOKE ALL ON ${qualified(table)} FROM PUBLIC`, ...(masked ? [masked] : [])];
  const options: EscalationOption[] = [
    {
      id: 'restrict-and-mask',
      title: masked
        ? 'Restrict the table, publish a masked view'
        : 'Restrict the table to its owner and explicit grants',
      summary: masked
        ? `Create ${table}_masked, where ${columns.join(', ')} are hashed; you then grant SELECT on it to the roles that read, by name (it reads ${table} with its owner's rights, so it is granted to no one here). Roles granted ${table} itself keep their grants: list them (\\dp ${table}) and revoke by hand what they should not read. Row-level security policies come next, once who may see which rows is decided.`
        : `Revoke any PUBLIC grant on ${table}; roles granted ${table} by name still read ${columns.join(', ')}: list them (\\dp ${table}) and revoke by hand what they should not read.`,
      impact: {
        performance: 'None on writes; reads through the view cost one hash per masked value.',
        consistency: 'Same data; what a role sees depends on its grants.',
        scalability: 'No change.',
      },
      risk: 'medium',
      blockingSeconds: 0,
      replacement: [
        addedStep(
          context,
          `${id}:restrict`,
          restrict.join(';\n'),
          masked ? `DROP VIEW IF EXISTS ${qualified(`${table}_masked`)}` : undefined,
        ),
      ],
    },
  ];
  if (primaryKey) {
    const privateTable = `private.${quoteIdent(`${table.split('.').pop()}_pii`)}`;
    options.push({
      id: 'separate-schema',
      title: 'Move the personal data to a private schema',
      summary: `Copy ${primaryKey.join(', ')} and ${columns.join(', ')} into ${privateTable}, in schema private that PUBLIC cannot use; drop the columns from ${table} in a later migration once the application reads them there.`,
      impact: {
        performance: 'Reads that need the personal data join one more table by primary key.',
        consistency: 'Two copies until the second migration drops the originals; writes must go to the private table.',
        scalability: 'The private table can be encrypted, backed up and retained on its own terms.',
      },
      risk: 'medium',
      blockingSeconds: 0,
      replacement: [
        addedStep(
          context,
          `${id}:separate`,
          [
            'CREATE SCHEMA IF NOT EXISTS private',
            'REVOKE ALL ON SCHEMA private FROM PUBLIC',
            `CREATE TABLE ${privateTable} AS SELECT ${[...primaryKey, ...columns].map(quoteIdent).join(', ')} FROM ${qualified(table)}`,
            `ALTER TABLE ${privateTable} ADD PRIMARY KEY (${primaryKey.map(quoteIdent).join(', ')})`,
          ].join(';\n'),
          `DROP TABLE IF EXISTS ${privateTable}`,
        ),
      ],
    });
  }
  options.push({
    id: 'accept-with-sign-off',
    title: 'Accept, with a named sign-off',
    summary: 'Keep the data as it is; the person approving records that the exposure is known and accepted.',
    impact: { performance: 'None.', consistency: 'None.', scalability: 'None; the compliance risk stays.' },
    risk: 'high',
    blockingSeconds: null,
  });
  return {
    id,
    trigger: ID,
    task: context.task,
    problem: `Personal data in ${table} (${columns.join(', ')}) has no row-level security, masking or encryption: any role that can read the table reads it.`,
    attempted: [
      'Looked for row-level security, policies, security labels (anon) and encrypted types on the columns: none.',
    ],
    options,
    recommendation: {
      optionId: 'restrict-and-mask',
      reason:
        'Readers get the masked view, granted by name, without a change to how the application writes; finer policies can follow.',
    },
    principles: ['Data governance: compliance requirements vs development velocity', 'Least privilege'],
    evidence: { table, columns },
    steps: [],
  };
}

export const governance: EscalationTrigger = {
  id: ID,
  explanation: `Personal data without row-level security, masking or encryption (analysis finding ${PII}) is a compliance decision, not a technical default.`,
  remedy:
    'Pick one option: restrict the table (and publish a masked view where the data is masked), move the personal ' +
    'data to a private schema, or accept the risk with a named sign-off.',
  raise(context) {
    const byTable = new Map<string, string[]>();
    for (const finding of findingsOf(context, PII)) {
      const parts = (finding.object ?? '').split('.');
      if (parts.length < 2) continue;
      const table = sizeOf(context, parts.slice(0, -1).join('.')).table;
      byTable.set(table, [...(byTable.get(table) ?? []), parts[parts.length - 1]!]);
    }
    return [...byTable]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([table, columns]) => escalationFor(table, columns, context));
  },
  examples: {
    fires: [
      {
        title: 'two unprotected PII columns of one table',
        analysisFindings: [
          exampleFinding(PII, 'public.customer.email', { rowSecurity: false }),
          exampleFinding(PII, 'public.customer.phone', { rowSecurity: false }),
        ],
        catalog: exampleCatalog({
          'public.customer': {
            columns: { id: 'bigint', email: 'text', phone: 'text', created_at: 'timestamp with time zone' },
            primaryKey: ['id'],
          },
        }),
        ids: [`${ID}:public.customer`],
      },
    ],
    quiet: [
      {
        title: 'other findings only',
        analysisFindings: [exampleFinding('SW-A-NO-PK', 'public.customer', {})],
        ids: [],
      },
    ],
  },
};
