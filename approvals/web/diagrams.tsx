/** One diagram of an ERD document: its source and the heading it sits under. */
export interface Diagram {
  heading?: string;
  source: string;
}

const FENCE = /^```mermaid[ \t]*\r?\n([\s\S]*?)^```[ \t]*$/gm;
const HEADING = /^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm;

/**
 * The ```mermaid blocks of a Markdown document, each under the nearest heading above it. Mermaid
 * draws one diagram per element, and a document's headings and prose are not Mermaid: a text with no
 * fence at all is taken as one diagram's source.
 */
export function diagramsOf(document: string): Diagram[] {
  const diagrams: Diagram[] = [];
  for (const fence of document.matchAll(FENCE)) {
    const before = document.slice(0, fence.index);
    const heading = [...before.matchAll(HEADING)].at(-1)?.[1];
    diagrams.push({ heading, source: fence[1]! });
  }
  if (diagrams.length === 0 && document.trim()) diagrams.push({ source: document });
  return diagrams;
}

/** Each diagram in its own <pre class="mermaid">, which the bundled Mermaid draws (see assets/console.js). */
export function Diagrams({ document }: { document: string }) {
  return (
    <>
      {diagramsOf(document).map(({ heading, source }) => (
        <figure>
          {heading ? <figcaption>{heading}</figcaption> : null}
          <pre class="mermaid">{source}</pre>
        </figure>
      ))}
    </>
  );
}
