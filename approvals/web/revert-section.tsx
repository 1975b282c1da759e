import type { RequestStatusView } from '../../workflows/design-request-messages';

/**
 * The way to ask for a revert, on the page of a request that applied a change. The page has no
 * sign-in, so it names the two signed-in ways (the CLI, the API with a bearer token) rather than
 * offer a form that could not tell who asks. The revert is a request of its own, asked like any other.
 */
export function RevertSection({ status }: { status: RequestStatusView }) {
  if (status.state !== 'completed' || status.kind === 'revert' || !status.artifacts['render-migration']) return null;
  const id = status.requestId;
  return (
    <section>
      <h2>Request a revert</h2>
      <p>
        A revert runs the down of what this request applied, as a request of its own: reviewed on the sandbox
        (locks, data it destroys), asked to the approvers of{' '}
        <code>
          {status.target}/{status.environment}
        </code>
        , then run by the runner.
      </p>
      <pre tabindex={0}>{`schemawright revert ${id} --reason "why it is taken back" --as YOU`}</pre>
      <pre tabindex={0}>{`curl -X POST -H "Authorization: Bearer $SCHEMAWRIGHT_API_TOKEN" -H 'content-type: application/json' \\
  -d '{"reason": "why it is taken back"}' /api/requests/${id}/revert`}</pre>
    </section>
  );
}
