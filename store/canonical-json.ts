/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth and no whitespace: equal values
 * give equal text, so the text can be hashed. With JSON.stringify's number and string forms this is
 * RFC 8785 (JCS) for the values we hash. `omit` drops keys whose values are not part of identity.
 */
export function canonicalJson(value: unknown, omit: (key: string) => boolean = () => false): string {
  return JSON.stringify(value, (key, item: unknown) => {
    if (key !== '' && omit(key)) return undefined;
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      return Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return item;
  });
}
