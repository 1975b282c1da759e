import nodemailer, { type Transporter } from 'nodemailer';
import type { Environment } from '../../config/environment';

/**
 * SMTP_URL (`smtp://user:pass@host:587`, `smtps://...:465`), or in the embedded default the local
 * capture inbox that the approvals web server runs (shown at /inbox).
 */
export function createMailer(env: Environment): Transporter {
  if (env.approvals.smtpUrl) return nodemailer.createTransport(env.approvals.smtpUrl);
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: env.approvals.mailCapturePort,
    secure: false,
    ignoreTLS: true,
  });
}
