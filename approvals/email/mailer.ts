import nodemailer, { type Transporter } from 'nodemailer';
import type { Environment } from '../../config/environment';

/**
 * SMTP_URL (`smtp://user:pass@host:587`, `smtps://...:465`), or in the embedded default the local
 * capture inbox that the approvals web server runs (shown at /inbox). Pooled: mails reuse open
 * sessions, since each new one waits for the server's greeting (smtp-server holds it 100 ms to catch
 * clients that talk too soon, and many servers pause longer), which made every mail at least that slow.
 * `?pool=false` in SMTP_URL opens a session per mail.
 */
export function createMailer(env: Environment): Transporter {
  if (env.approvals.smtpUrl) return nodemailer.createTransport(pooled(env.approvals.smtpUrl));
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: env.approvals.mailCapturePort,
    secure: false,
    ignoreTLS: true,
    pool: true,
  });
}

/** The URL with `pool=true`, unless it says otherwise: nodemailer reads the transport's options from the URL alone. */
function pooled(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  return url.toString();
}
