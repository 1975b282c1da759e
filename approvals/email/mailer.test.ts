import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { readEnvironment } from '../../config/environment';
import { createMailer } from './mailer';

describe('the mailer', () => {
  let server: SMTPServer;
  let sessions = 0;
  let delivered = 0;
  beforeAll(async () => {
    server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onConnect: (_session, callback) => (sessions++, callback()),
      onData: (stream, _session, callback) => {
        stream.resume();
        stream.on('end', () => (delivered++, callback()));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    sessions = 0;
    delivered = 0;
  });

  const send = async (smtpUrl: string) => {
    const env = readEnvironment({ SCHEMAWRIGHT_HOME: mkdtempSync(join(tmpdir(), 'sw-home-')), SMTP_URL: smtpUrl });
    const mailer = createMailer(env);
    try {
      for (const to of ['ann@example.test', 'bob@example.test', 'carl@example.test'])
        await mailer.sendMail({ from: 'schemawright@example.test', to, subject: 'a question', text: 'hi' });
    } finally {
      mailer.close();
    }
  };
  const url = () => `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}/?ignoreTLS=true`;

  it('reuses one SMTP session for mails sent one after another (each new session waits for the greeting)', async () => {
    await send(url());
    expect(delivered).toBe(3);
    expect(sessions).toBe(1);
  });

  it('opens a session per mail when SMTP_URL says pool=false', async () => {
    await send(`${url()}&pool=false`);
    expect(delivered).toBe(3);
    expect(sessions).toBe(3);
  });
});
