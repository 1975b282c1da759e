import { qualified, quoteIdent } from '../../../postgres/names';
import type { ModelingContext } from './kind';
import { modelingFinding, type ModelingFindingKind } from './kind';

interface Job {
  name: string;
  /** Tenant tables it reads or writes across tenants. */
  tables: string[];
  privileges: string;
  what: string;
}

/**
 * Work that must see every tenant's rows: a read pattern that names no tenant on a tenant table (and
 * reaches it from no table filtered by one), and a retention the partitions cannot serve by a drop
 * (a DELETE by age over all tenants). Dropping a partition is DDL, which row security does not filter.
 */
function crossTenantJobs({ spec, model }: ModelingContext): Job[] {
  const guarded = new Set(model.policies.map((p) => p.table));
  if (guarded.size === 0) return [];
  const tenantColumn = new Map(
    model.policies.map((p) => [p.table, /^("?\w+"?) = nullif\(current_setting/.exec(p.using)?.[1]?.replace(/"/g, '')]),
  );
  const jobs: Job[] = [];
  for (const shape of model.patterns) {
    const named = shape.tables.some((a) => {
      const column = tenantColumn.get(a.table);
      return column !== undefined && (a.equality.includes(column) || a.constant.some((c) => c.column === column));
    });
    const tables = [...new Set(shape.tables.map((a) => a.table).filter((t) => guarded.has(t)))];
    if (named || tables.length === 0 || shape.kind === 'insert') continue;
    jobs.push({
      name: shape.pattern,
      tables,
      privileges: shape.kind === 'select' ? 'SELECT' : `SELECT, ${shape.kind.toUpperCase()}`,
      what: `'${shape.pattern}' names no tenant`,
    });
  }
  for (const entity of spec.entities) {
    const retention = spec.requirements.retention[entity.name];
    const dropped = model.partitions.some((p) => p.table === entity.table && p.strategy === 'range');
    if (!retention || dropped || !guarded.has(entity.table)) continue;
    jobs.push({
      name: `${entity.table} retention`,
      tables: [entity.table],
      privileges: 'SELECT, DELETE',
      what: `the ${retention.text} retention of ${entity.table} is a DELETE of old rows of every tenant (its partitions, if any, are not by time)`,
    });
  }
  return jobs;
}

export const crossTenantJob: ModelingFindingKind = {
  id: 'SW-M-CROSS-TENANT-JOB',
  severity: 'warning',
  explanation:
    'With a tenant key every tenant table has FORCE ROW LEVEL SECURITY, so work across tenants (a report over all of them, a retention DELETE) sees 0 rows and deletes nothing, silently. Each such job is named with the role and policy it needs: a role of its own, a policy for that role only, and the privileges of the job, never the application role.',
  remedy:
    'Run the job as a role of its own with a policy for that role (CREATE POLICY ... TO role USING (true)) and only the privileges it needs; never switch row security off for the application.',
  find(context) {
    const role = `${context.spec.name}_cross_tenant`;
    return crossTenantJobs(context).map((job) =>
      modelingFinding(crossTenantJob, {
        object: job.name,
        message: `${job.what}: under FORCE ROW LEVEL SECURITY it sees 0 rows of ${job.tables.join(', ')} unless it runs as ${role}`,
        why: `Row-level security keeps each tenant to its rows (current_setting('app.tenant_id')); a job without a tenant set reads and deletes nothing and reports success. A role of its own with a policy naming it keeps the application role unable to cross tenants.`,
        fix: [
          `CREATE ROLE ${quoteIdent(role)} NOLOGIN;`,
          ...job.tables.flatMap((t) => [
            `GRANT ${job.privileges} ON ${qualified(context.spec.schema, t)} TO ${quoteIdent(role)};`,
            `CREATE POLICY cross_tenant_job ON ${qualified(context.spec.schema, t)} TO ${quoteIdent(role)} USING (true);`,
          ]),
        ].join('\n'),
        evidence: { job: job.name, tables: job.tables, role, privileges: job.privileges },
      }),
    );
  },
  examples: [
    {
      name: 'a report over every tenant and a retention DELETE are named; a read by tenant is not',
      spec: `name: desk
entities:
  account: { fields: { name: text } }
  note:
    fields: { account: { ref: account }, body: text, created_at: timestamptz }
requirements: { multi_tenant_key: account, retention: { note: 1y } }
access_patterns:
  - { name: notes of an account, sql: "SELECT body FROM note WHERE account_id = $1", per_second: 50 }
  - { name: notes per day, sql: "SELECT created_at::date, count(*) FROM note GROUP BY 1", per_second: 1 }
`,
      expect: [
        {
          object: 'notes per day',
          message:
            "'notes per day' names no tenant: under FORCE ROW LEVEL SECURITY it sees 0 rows of note unless it runs as desk_cross_tenant",
          fix: 'CREATE ROLE desk_cross_tenant NOLOGIN;\nGRANT SELECT ON public.note TO desk_cross_tenant;\nCREATE POLICY cross_tenant_job ON public.note TO desk_cross_tenant USING (true);',
        },
        {
          object: 'note retention',
          evidence: {
            job: 'note retention',
            tables: ['note'],
            role: 'desk_cross_tenant',
            privileges: 'SELECT, DELETE',
          },
        },
      ],
    },
    {
      name: 'no tenant key, no job',
      spec: `name: solo
entities: { note: { fields: { body: text } } }
requirements: { retention: { note: 1y } }
access_patterns:
  - { name: all notes, sql: "SELECT body FROM note", per_second: 1 }
`,
      expect: [],
    },
  ],
};
