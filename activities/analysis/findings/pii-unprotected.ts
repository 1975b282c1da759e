import { qualified } from '../../../postgres/names';
import { analysisFinding, type FindingKind } from './kind';

export const piiUnprotected: FindingKind = {
  id: 'SW-A-PII-UNPROTECTED',
  severity: 'warning',
  explanation:
    "A column the spec marks as personal data that nothing in the database protects: its table has no row-level security, the column carries no masking label (e.g. PostgreSQL Anonymizer), and it is not stored encrypted (bytea). Anyone who can read the table reads every person's data.",
  remedy:
    'Protect the column: enable row-level security with policies saying who reads which rows, mask it, or store it ' +
    'encrypted; the escalation SW-ESC-GOVERNANCE asks a person to choose.',
  find(context) {
    return context.piiColumns.flatMap((entry) => {
      const parts = entry.split('.');
      const [schema, tableName, columnName] = parts.length === 2 ? ['public', ...parts] : parts;
      const table = context.table(`${schema}.${tableName}`);
      const column = table?.columns.find((c) => c.name === columnName);
      if (!table || !column) return [];
      const rowSecurity = table.rowSecurity;
      const masked = Object.keys(column.securityLabels).length > 0;
      const encrypted = column.baseType === 'bytea';
      if (rowSecurity || masked || encrypted) return [];
      return [
        analysisFinding(piiUnprotected, {
          object: `${schema}.${tableName}.${columnName}`,
          message: `personal data ${schema}.${tableName}.${columnName} has no row-level security, masking or encryption`,
          why: 'Every role that can SELECT the table reads this column for every person; a leaked credential or a broad grant exposes all of it.',
          // Enabling RLS with no policy denies all rows to non-owners; the policy says who may see which rows.
          fix: `ALTER TABLE ${qualified(schema!, tableName!)} ENABLE ROW LEVEL SECURITY;\n-- then say who may read which rows, e.g.:\n-- CREATE POLICY ${tableName}_owner ON ${qualified(schema!, tableName!)} USING (owner_id = current_setting('app.user_id')::bigint);`,
          evidence: {
            type: column.type,
            rowSecurity,
            policies: table.policies.length,
            masked,
            encrypted,
            rows: table.stats.rowEstimate,
          },
        }),
      ];
    });
  },
  examples: [
    {
      name: 'an email column in an open table; a table with row-level security and an encrypted column pass',
      sql: `CREATE TABLE public.customer (id int PRIMARY KEY, email text, tax_id bytea);
            CREATE TABLE public.patient (id int PRIMARY KEY, diagnosis text);
            ALTER TABLE public.patient ENABLE ROW LEVEL SECURITY;`,
      options: {
        piiColumns: ['public.customer.email', 'public.customer.tax_id', 'patient.diagnosis', 'public.customer.missing'],
      },
      expect: [
        {
          object: 'public.customer.email',
          message: 'personal data public.customer.email has no row-level security, masking or encryption',
          evidence: { type: 'text', rowSecurity: false, policies: 0, masked: false, encrypted: false, rows: null },
        },
      ],
      fixResolves: true,
      locks: { 'public.customer': 'ACCESS EXCLUSIVE' },
    },
  ],
};
