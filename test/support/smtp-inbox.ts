import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer, { type Transporter } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

export interface SmtpInbox {
  /** Every message received, parsed, in order. */
  mails: ParsedMail[];
  /** A real SMTP client to it, as the notifier sends. */
  mailer: Transporter;
  close(): Promise<void>;
}

/** A real SMTP server on a free local port that keeps what it receives: the tests' mail relay. */
export async function startSmtpInbox(): Promise<SmtpInbox> {
  const mails: ParsedMail[] = [];
  const smtp = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (stream, _session, cb) => void simpleParser(stream).then((mail) => (mails.push(mail), cb()), cb),
  });
  // A worker killed mid-session resets its connection: not an error of the test.
  smtp.on('error', () => undefined);
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  const mailer = nodemailer.createTransport({
    host: '127.0.0.1',
    port: (smtp.server.address() as AddressInfo).port,
    secure: false,
    ignoreTLS: true,
  });
  return {
    mails,
    mailer,
    close: () => new Promise<void>((r) => smtp.close(() => r())),
  };
}
