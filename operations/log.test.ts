import { processLog, redact } from './log';

describe('structured logs', () => {
  it('one JSON object per line, the request id from a request workflow, passwords in URLs redacted', () => {
    const lines: string[] = [];
    const log = processLog('worker', 'INFO', (line) => lines.push(line));
    log.temporal.info('Activity failed', { workflowId: 'request-r42', activityType: 'applyChange' });
    log.info('connecting to postgres://app:hunter2@db:5432/store', { url: 'smtps://mailer:pw@smtp.example.com:465' });
    log.temporal.debug('not shown at INFO');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        time: expect.any(String),
        level: 'INFO',
        process: 'worker',
        msg: 'Activity failed',
        requestId: 'r42',
        workflowId: 'request-r42',
        activityType: 'applyChange',
      },
      {
        time: expect.any(String),
        level: 'INFO',
        process: 'worker',
        msg: 'connecting to postgres://app:***@db:5432/store',
        url: 'smtps://mailer:***@smtp.example.com:465',
      },
    ]);
  });

  it('redact leaves URLs without a password alone', () => {
    expect(redact('http://127.0.0.1:8080/requests/r1 and postgres://app@db/store')).toBe(
      'http://127.0.0.1:8080/requests/r1 and postgres://app@db/store',
    );
  });
});
