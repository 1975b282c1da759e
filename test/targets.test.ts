import { resolveTarget, targetProblem, targetVariable, TargetNotFoundError } from '../config/targets';

const STORE = 'postgres://app:secret@db.internal:5433/schemawright';

describe('targets come from configuration or the policy, never the store’s database', () => {
  it('a request may name a target configured by URL or named in the policy, nothing else', () => {
    const env = { SCHEMAWRIGHT_TARGET_BILLING_URL: 'postgres://u:p@billing.internal/billing' };
    expect(targetProblem('billing', [], 'schemawright', env)).toBeUndefined();
    expect(targetProblem('shop', ['shop'], 'schemawright', env)).toBeUndefined();
    expect(targetProblem('inventory', ['shop'], 'schemawright', env)).toBe(
      "target 'inventory' is not configured: name it under targets in the approval policy (SCHEMAWRIGHT_POLICY; it is then the database 'inventory' on the store's server), or set SCHEMAWRIGHT_TARGET_INVENTORY_URL=postgres://user:password@host:port/database where requests are started and where the workers run",
    );
  });

  it('the store’s own database and the maintenance databases are refused even when the policy names them', () => {
    expect(targetProblem('schemawright', ['schemawright'], 'schemawright', {})).toBe(
      "target 'schemawright' is the project store's own database, which is never a target: choose another target",
    );
    for (const name of ['postgres', 'template0', 'template1']) {
      expect(targetProblem(name, [name], 'schemawright', {})).toBe(
        `target '${name}' is a PostgreSQL maintenance database, not a target: choose another target, or set SCHEMAWRIGHT_TARGET_${name.toUpperCase()}_URL if you mean it`,
      );
    }
  });

  it('a worker never resolves a target to the store’s database, by name or by a URL that points at it', () => {
    expect(() => resolveTarget('schemawright', { DATABASE_URL: STORE })).toThrow(
      new TargetNotFoundError(
        "target 'schemawright' is the project store's own database, which is never a target: point SCHEMAWRIGHT_TARGET_SCHEMAWRIGHT_URL at another database",
      ),
    );
    expect(() =>
      resolveTarget('sneaky', {
        DATABASE_URL: STORE,
        SCHEMAWRIGHT_TARGET_SNEAKY_URL: 'postgres://other:pw@DB.internal:5433/schemawright?sslmode=require',
      }),
    ).toThrow(/is the project store's own database/);
    expect(() => resolveTarget('postgres', { DATABASE_URL: STORE })).toThrow(
      "target 'postgres' is a PostgreSQL maintenance database, not a target: set SCHEMAWRIGHT_TARGET_POSTGRES_URL if you mean it",
    );
    expect(resolveTarget('shop', { DATABASE_URL: STORE })).toEqual({
      name: 'shop',
      connectionString: 'postgres://app:secret@db.internal:5433/shop',
      readConnectionString: 'postgres://app:secret@db.internal:5433/shop',
    });
    // The same database name on another server is another database.
    expect(
      resolveTarget('copy', {
        DATABASE_URL: STORE,
        SCHEMAWRIGHT_TARGET_COPY_URL: 'postgres://u:p@replica.internal:5433/schemawright',
      }).connectionString,
    ).toBe('postgres://u:p@replica.internal:5433/schemawright');
  });
});

describe('a target has a reader and an applier', () => {
  it('names their variables after the target', () => {
    expect(targetVariable('shop-eu')).toBe('SCHEMAWRIGHT_TARGET_SHOP_EU_URL');
    expect(targetVariable('shop-eu', 'read')).toBe('SCHEMAWRIGHT_TARGET_SHOP_EU_READ_URL');
  });

  it('takes the reader from _READ_URL and the applier from _URL', () => {
    const env = {
      SCHEMAWRIGHT_TARGET_SHOP_URL: 'postgres://applier@db/shop',
      SCHEMAWRIGHT_TARGET_SHOP_READ_URL: 'postgres://reader@db/shop',
    };
    expect(resolveTarget('shop', env)).toEqual({
      name: 'shop',
      connectionString: 'postgres://applier@db/shop',
      readConnectionString: 'postgres://reader@db/shop',
    });
  });

  it("reads with the applier's URL when no reader is given, and on the store's server without either", () => {
    expect(
      resolveTarget('shop', { SCHEMAWRIGHT_TARGET_SHOP_URL: 'postgres://applier@db/shop' }).readConnectionString,
    ).toBe('postgres://applier@db/shop');
    expect(resolveTarget('shop', { DATABASE_URL: 'postgres://store@db/schemawright' })).toEqual({
      name: 'shop',
      connectionString: 'postgres://store@db/shop',
      readConnectionString: 'postgres://store@db/shop',
    });
  });

  it('refuses a reader without an applier, saying which variable to set', () => {
    expect(() => resolveTarget('shop', { SCHEMAWRIGHT_TARGET_SHOP_READ_URL: 'postgres://reader@db/shop' })).toThrow(
      new TargetNotFoundError(
        "target 'shop' has a reader (SCHEMAWRIGHT_TARGET_SHOP_READ_URL) but no applier: set SCHEMAWRIGHT_TARGET_SHOP_URL too",
      ),
    );
  });
});
