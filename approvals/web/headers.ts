import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { MERMAID_MODULES, MERMAID_SCRIPT } from './pages';

/**
 * What a browser may do with our pages. Scripts: only the inline module that renders the ERD (by its
 * hash) and the Mermaid modules it imports from the CDN (the web console rewrite will bundle them).
 * Styles: inline, as the pages and Mermaid's SVG write them. Nothing else loads, no page frames ours,
 * forms post only to us, and no URL (a decision link carries its token) leaves as a Referer.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(MERMAID_SCRIPT).digest('base64')}' ${MERMAID_MODULES}`,
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
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
