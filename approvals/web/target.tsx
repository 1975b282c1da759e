import { Diagrams } from './diagrams';
import { renderPage } from './layout';

export interface TargetPageData {
  name: string;
  /** The Mermaid erDiagram of the schema as it is now, read with the target's read role. */
  erd?: string;
  tables?: number;
  /** Why the schema could not be read. */
  problem?: string;
}

/** A target's current schema: read when the page is opened, so it shows what an apply left. */
export function targetPage({ name, erd, tables, problem }: TargetPageData): string {
  return renderPage({
    title: `Target ${name}`,
    diagrams: Boolean(erd),
    children: (
      <>
        <p>
          <a href={`/?target=${encodeURIComponent(name)}`}>Requests on {name}</a> ·{' '}
          <a href={`/history?target=${encodeURIComponent(name)}`}>Its decision history</a>
        </p>
        <h2>Current schema</h2>
        {problem ? (
          <p role="alert">The schema could not be read: {problem}</p>
        ) : tables ? (
          <>
            <p>
              {tables} table{tables === 1 ? '' : 's'}, read now with the target’s read role.
            </p>
            <Diagrams document={erd ?? ''} />
          </>
        ) : (
          <p>The target has no tables yet.</p>
        )}
      </>
    ),
  });
}
