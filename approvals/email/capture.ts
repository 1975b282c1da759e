import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { Pool } from 'pg';
import { SMTPServer } from 'smtp-server';

export interface MailCapture {
  port: number;
  close(): Promise<void>;
}

/**
 * The embedded default's mail server: accepts every message on localhost and keeps it in the store,
 * where the web server's /inbox shows it, so that a newcomer follows the email path without a relay.
 */
export async function startMailCapture(store: Pool, port: number, host = '127.0.0.1'): Promise<MailCapture> {
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 5 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) =>
          store.query(
            'INSERT INTO captured_mail (mail_from, rcpt_to, subject, text_body, html_body) VALUES ($1, $2, $3, $4, $5)',
            [
              session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              session.envelope.rcptTo.map((r) => r.address),
              mail.subject ?? '',
              mail.text ?? '',
              typeof mail.html === 'string' ? mail.html : null,
            ],
          ),
        )
        .then(
          () => callback(),
          (error: Error) => callback(error),
        );
    },
  });
  // A sender that vanishes mid-session (a worker killed while it mails) resets its connection; unheard,
  // that error would end the process that holds the capture.
  server.on('error', () => undefined);
  await new Promise<void>((resolveListen, rejectListen) => {
    server.server.once('error', rejectListen);
    server.listen(port, host, () => resolveListen());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface CapturedMail {
  id: number;
  receivedAt: Date;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
}

type CapturedMailRow = {
  id: string;
  received_at: Date;
  mail_from: string;
  rcpt_to: string[];
  subject: string;
  text_body: string;
  html_body: string | null;
};

const capturedOf = (r: CapturedMailRow): CapturedMail => ({
  id: Number(r.id),
  receivedAt: r.received_at,
  from: r.mail_from,
  to: r.rcpt_to,
  subject: r.subject,
  text: r.text_body,
  html: r.html_body,
});

export async function capturedMail(
  store: Pool,
  options: { to?: string; limit?: number } = {},
): Promise<CapturedMail[]> {
  const { rows } = await store.query<CapturedMailRow>(
    `SELECT * FROM captured_mail WHERE ($1::text IS NULL OR $1 = ANY (rcpt_to)) ORDER BY id DESC LIMIT $2`,
    [options.to ?? null, options.limit ?? 100],
  );
  return rows.map(capturedOf);
}

export async function capturedMailById(store: Pool, id: number): Promise<CapturedMail | undefined> {
  const { rows } = await store.query<CapturedMailRow>('SELECT * FROM captured_mail WHERE id = $1', [id]);
  return rows.map(capturedOf)[0];
}
