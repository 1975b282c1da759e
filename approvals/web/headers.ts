import type { ServerResponse } from 'node:http';

/**
 * What a browser may do with our pages. Scripts: only files this server serves (the console's script
 * and the bundled Mermaid), never inline, never another origin. Styles: ours, and inline, as Mermaid's
 * SVG writes them. Connections (the request page's event stream) to us only. Nothing else loads, no
 * page frames ours, forms post only to us, and no URL (a decision link carries its token) leaves as
 * a Referer.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Set before any route (Bolt's answers on /slack/events included) writes its own headers. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
