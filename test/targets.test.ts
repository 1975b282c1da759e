import { resolveTarget, targetVariable, TargetNotFoundError } from '../config/targets';

describe('a target has a reader and an applier', () => {
  it('names their variables after the target', () => {
    expect(targetVariable('shop-eu')).toBe('SCHEMAWRIGHT_TARGET_SHOP_EU_URL');
    expect(targetVariable('shop-eu', 'read')).toBe('SCHEMAWRIGHT_TARGET_SHOP_EU_READ_URL');
  });

  it('takes the reader from _READ_URL and the applier from _URL', () => {
    const env = { SCHEMAWRIGHT_TARGET_SHOP_URL: 'postgres://applier@db/shop', SCHEMAWRIGHT_TARGET_SHOP_READ_URL: 'postgres://reader@db/shop' };
    expect(resolveTarget('shop', env)).toEqual({ name: 'shop', connectionString: 'postgres://applier@db/shop', readConnectionString: 'postgres://reader@db/shop' });
  });

  it("reads with the applier's URL when no reader is given, and on the store's server without either", () => {
    expect(resolveTarget('shop', { SCHEMAWRIGHT_TARGET_SHOP_URL: 'postgres://applier@db/shop' }).readConnectionString).toBe('postgres://applier@db/shop');
    expect(resolveTarget('shop', { DATABASE_URL: 'postgres://store@db/schemawright' })).toEqual({
      name: 'shop',
      connectionString: 'postgres://store@db/shop',
      readConnectionString: 'postgres://store@db/shop',
    });
  });

  it('refuses a reader without an applier, saying which variable to set', () => {
    expect(() => resolveTarget('shop', { SCHEMAWRIGHT_TARGET_SHOP_READ_URL: 'postgres://reader@db/shop' })).toThrow(
      new TargetNotFoundError("target 'shop' has a reader (SCHEMAWRIGHT_TARGET_SHOP_READ_URL) but no applier: set SCHEMAWRIGHT_TARGET_SHOP_URL too"),
    );
  });
});
