const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every piece of user or database text goes through this before it reaches a page. */
export function escapeHtml(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => entities[c]);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · schemawright</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1d2430}
.problem{white-space:pre-wrap}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde;padding:.35rem .5rem;text-align:left}
code{background:#f3f4f7;padding:0 .25rem}
.phases{display:flex;gap:.5rem;list-style:none;padding:0}.phases li{padding:.1rem .5rem;border-radius:.25rem;background:#eef}.phases li.done{background:#d8f0dc}.phases li.now{background:#ffe9a8;font-weight:600}</style></head>
<body><header><a href="/">schemawright</a></header><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}
