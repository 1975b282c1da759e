import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/** Fields a log line may carry; `requestId` is the request it concerns, where there is one. */
export type LogFields = Record<string, unknown> & { requestId?: string };

/** Passwords in connection strings (`postgres://user:secret@host`, `smtp://...`) never reach a log line. */
export function redact(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@');
}

/**
 * One JSON object per line on stdout, as log collectors read them: time, level, process, message, and
 * the fields given (the request id as `requestId`). Messages and string fields are redacted.
 */
export function logLine(process_: string, level: LogLevel, message: string, fields: LogFields = {}): string {
  const clean = Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, typeof value === 'string' ? redact(value) : value]),
  );
  return JSON.stringify({ time: new Date().toISOString(), level, process: process_, msg: redact(message), ...clean });
}

export interface ProcessLog {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** The same lines for the Temporal SDK's own logs (Runtime.install's logger), its workflow id as the request id. */
  temporal: Logger;
}

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function processLog(
  name: string,
  minimum: LogLevel = 'INFO',
  write = (line: string) => console.log(line),
): ProcessLog {
  const log = (level: LogLevel, message: string, fields?: LogFields) => {
    if (LEVELS.indexOf(level) >= LEVELS.indexOf(minimum)) write(logLine(name, level, message, fields));
  };
  const sdk = (level: LogLevel) => (message: string, meta?: LogMetadata) => {
    // A request's workflow is `request-<id>` (approvals/requests.ts workflowIdOf): its id is the one a reader greps for.
    const request = /^request-(.+)$/.exec(String(meta?.workflowId ?? ''));
    log(level, message, { ...(request ? { requestId: request[1] } : {}), ...meta });
  };
  return {
    info: (message, fields) => log('INFO', message, fields),
    warn: (message, fields) => log('WARN', message, fields),
    error: (message, fields) => log('ERROR', message, fields),
    temporal: {
      log: (level, message, meta) => sdk(level)(message, meta),
      trace: sdk('TRACE'),
      debug: sdk('DEBUG'),
      info: sdk('INFO'),
      warn: sdk('WARN'),
      error: sdk('ERROR'),
    },
  };
}
