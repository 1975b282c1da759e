import type { Child } from 'hono/jsx';

/** A rendered page or fragment: Hono's JSX escapes every text and attribute it is given. */
export function render(element: Child): string {
  const html = element?.toString() ?? '';
  if (typeof html !== 'string') throw new Error('pages render synchronously: an async component slipped in');
  return html;
}

export interface LayoutProps {
  title: string;
  /** Pages with ```mermaid blocks load the bundled Mermaid; others do not pay for it. */
  diagrams?: boolean;
  children?: Child;
}

/**
 * Every page: the bundled stylesheet (Pico, no CDN) and scripts served by this server only, and the
 * header that links every page of the console.
 */
export function Layout({ title, diagrams, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title} · schemawright</title>
        {/* No favicon to fetch: a browser would ask for /favicon.ico on every page. */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/pico.min.css" />
        <link rel="stylesheet" href="/assets/highlight.css" />
        <link rel="stylesheet" href="/assets/console.css" />
        {diagrams ? <script src="/assets/mermaid.min.js" defer></script> : null}
        <script src="/assets/console.js" defer></script>
      </head>
      <body>
        <header class="container">
          <nav aria-label="Console">
            <ul>
              <li>
                <a href="/" class="brand">
                  <strong>schemawright</strong>
                </a>
              </li>
            </ul>
            <ul>
              <li>
                <a href="/">Requests</a>
              </li>
              <li>
                <a href="/rollouts">Rollouts</a>
              </li>
              <li>
                <a href="/history">Decision history</a>
              </li>
              <li>
                <a href="/inbox">Mail inbox</a>
              </li>
            </ul>
          </nav>
        </header>
        <main class="container">
          <h1>{title}</h1>
          {children}
        </main>
      </body>
    </html>
  );
}

export function renderPage(props: LayoutProps): string {
  return `<!doctype html>\n${render(<Layout {...props} />)}`;
}

/** A table that scrolls in its own box (focusable, for a keyboard) when it is wider than a phone. */
export function Table({ columns, caption, children }: { columns: string[]; caption?: string; children?: Child }) {
  return (
    <div class="table-scroll" tabindex={0}>
      <table>
        {caption ? <caption>{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col">{column}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A page of one message, for answers and errors. */
export function page(title: string, message: string): string {
  return renderPage({ title, children: <p>{message}</p> });
}
