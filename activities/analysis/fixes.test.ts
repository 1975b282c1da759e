import type { Finding } from '../../artifacts/findings';
import { fixFileOf } from './fixes';

const finding = (object: string, fix: string): Finding => ({
  id: 'SW-A-TIMESTAMP-NO-TZ',
  source: 'schemawright',
  severity: 'warning',
  object,
  message: `${object} is timestamp without time zone`,
  why: 'zones',
  fix,
});

describe('the fixes file of a review request', () => {
  it('alters a table once when its findings share one fix', () => {
    const fix =
      "SET LOCAL timezone = 'UTC';\nALTER TABLE public.c ALTER COLUMN a TYPE timestamptz, ALTER COLUMN b TYPE timestamptz;";
    const file = fixFileOf([finding('public.c.a', fix), finding('public.c.b', fix)], 'r1');
    expect(file.up).toBe(
      `-- SW-A-TIMESTAMP-NO-TZ public.c.a: public.c.a is timestamp without time zone\n-- SW-A-TIMESTAMP-NO-TZ public.c.b: public.c.b is timestamp without time zone\n${fix}\n`,
    );
  });
});
