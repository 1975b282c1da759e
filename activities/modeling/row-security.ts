import { quoteIdent } from '../../postgres/names';
import type { PlannedTable, RowSecurityPolicy } from './design-model';
import type { DesignSpec } from './spec';

/** The setting the application sets per connection or transaction: `SET app.tenant_id = '42'`. */
export const TENANT_SETTING = 'app.tenant_id';

/**
 * Row-level security for a multi-tenant spec: every table carrying the tenant's key sees only the
 * current tenant's rows, the tenant table only its own row, and a join table only links whose
 * first side is visible (the policy's subquery is itself filtered by that table's policy).
 * `current_setting(..., true)` is NULL when unset (or '' once reset), so a connection that forgot to set it sees nothing.
 */
export function rowSecurityPolicies(spec: DesignSpec, tables: PlannedTable[]): RowSecurityPolicy[] {
  const tenant = spec.requirements.multiTenantKey;
  if (!tenant) return [];
  // Once set in a session, a custom setting reads '' after its transaction ends, not NULL: nullif keeps
  // that "no tenant" (no rows) instead of an error casting '' to bigint.
  const current = `nullif(current_setting('${TENANT_SETTING}', true), '')::bigint`;
  const shared = new Set(spec.entities.filter((e) => e.shared).map((e) => e.table));
  return tables.flatMap((table): RowSecurityPolicy[] => {
    if (shared.has(table.name)) return [];
    if (table.entity === tenant) return [{ table: table.name, name: 'tenant_isolation', using: `id = ${current}` }];
    const tenantKey = table.foreignKeys.find((fk) => fk.table === tenant);
    if (tenantKey)
      return [{ table: table.name, name: 'tenant_isolation', using: `${quoteIdent(tenantKey.column)} = ${current}` }];
    const scoped = table.foreignKeys.find((fk) => fk.tenant)?.tenant;
    if (table.entity === null && scoped)
      return [{ table: table.name, name: 'tenant_isolation', using: `${quoteIdent(scoped.column)} = ${current}` }];
    if (table.entity === null) {
      const parent = table.foreignKeys[0]!;
      if (shared.has(parent.table)) return [];
      return [
        {
          table: table.name,
          name: 'tenant_isolation',
          using: `EXISTS (SELECT 1 FROM ${quoteIdent(spec.schema)}.${quoteIdent(parent.table)} parent WHERE parent.id = ${quoteIdent(table.name)}.${quoteIdent(parent.column)})`,
        },
      ];
    }
    return [];
  });
}
