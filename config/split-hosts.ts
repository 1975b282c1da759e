import type { Environment } from './environment';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** What a worker or web server says at start about settings that must be shared when they run on different hosts. */
export interface SplitHostsCheck {
  /** Refuse to start with this message. */
  refuse?: string;
  /** Start, but say this once. */
  warn?: string;
}

/**
 * A worker signs the links in the mail it sends and the web server checks them: apart, they need the same
 * SCHEMAWRIGHT_TOKEN_KEYS (each otherwise generates its own in its home), and mail needs SMTP_URL (the
 * default, the web server's local capture on 127.0.0.1, is not there on another host: mail would vanish).
 * A public SCHEMAWRIGHT_WEB_URL says the processes may be apart: refused without them. A process started
 * on its own, not by `npm start`, is warned.
 */
export function checkSplitHosts(env: Environment, process_: 'worker' | 'web server'): SplitHostsCheck {
  if (env.supervised) return {};
  const missing = [
    ...(env.approvals.tokenKeys ? [] : ['SCHEMAWRIGHT_TOKEN_KEYS']),
    ...(env.approvals.smtpUrl ? [] : ['SMTP_URL']),
  ];
  if (missing.length === 0) return {};
  const which = missing.join(' and ');
  const consequences = [
    ...(env.approvals.tokenKeys
      ? []
      : [
          'links in email that one process signs are refused by the other (each generates its own token key in its SCHEMAWRIGHT_HOME)',
        ]),
    ...(env.approvals.smtpUrl
      ? []
      : [
          `mail goes to the local capture on 127.0.0.1:${env.approvals.mailCapturePort}, which nobody reads on another host, without an error`,
        ]),
  ].join('; and ');
  const fix = `Set on every worker and web server${env.approvals.tokenKeys ? '' : ' the same SCHEMAWRIGHT_TOKEN_KEYS=kid:secret (for instance `links1:$(openssl rand -hex 32)`)'}${missing.length === 2 ? ' and' : ''}${env.approvals.smtpUrl ? '' : ' SMTP_URL=smtp://user:password@host:587 (or smtps://...:465)'}.`;
  const host = webUrlHost(env.approvals.webBaseUrl);
  if (host && !LOCAL_HOSTS.has(host))
    return {
      refuse: `the ${process_} will not start: SCHEMAWRIGHT_WEB_URL (${env.approvals.webBaseUrl}) is not this host, so the worker and the web server may run apart, and ${which} ${missing.length === 2 ? 'are' : 'is'} not set: ${consequences}. ${fix}`,
    };
  return {
    warn: `this ${process_} was started on its own without ${which}: that works only while every worker and the web server run on this host with the same SCHEMAWRIGHT_HOME (${env.home}). On separate hosts, ${consequences}. ${fix}`,
  };
}

function webUrlHost(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
