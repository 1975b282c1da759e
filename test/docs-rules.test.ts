import { existsSync, readFileSync } from 'node:fs';
import { RULES_PAGE, rulesPage } from '../docs/rules-page';

describe('docs/rules.md', () => {
  it('is generated from the current rule, finding and escalation objects', () => {
    const written = existsSync(RULES_PAGE) ? readFileSync(RULES_PAGE, 'utf8') : '';
    if (written !== rulesPage())
      throw new Error('docs/rules.md is not current: run `npm run docs:rules` and commit the result.');
  });

  it('says what goes wrong and what to do for every id, once', () => {
    const page = rulesPage();
    const ids = [...page.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining([
        'SW-L-JSON',
        'adding-required-field',
        'SW-LOCK-BLOCKING',
        'SW-A-NO-PK',
        'SW-REQ-BACKUP',
        'SW-ESC-DESTRUCTIVE',
      ]),
    );
    for (const entry of page.split(/^### /m).slice(1)) {
      expect(entry).toMatch(/\*\*What goes wrong\.\*\* \S/);
      expect(entry).toMatch(/\*\*What to do\.\*\* \S/);
    }
  });
});
