import { ed25519 } from '@noble/curves/ed25519.js';
import { hexToBytes } from '@noble/curves/utils.js';
import type { DecisionInput, DecisionKeys } from './design-request-messages';

/**
 * What a channel signs for a decision, shared by the signers (approvals/decision-keys.ts) and the
 * workflow's validator. A JSON array of strings is one unambiguous encoding in every engine; the
 * request id and the Update id bind a signature to one request and one Update, the time to minutes.
 */
export function decisionPayload(
  requestId: string,
  updateId: string,
  decision: DecisionInput,
  signedAt: string,
): Uint8Array {
  const { questionId, optionId, person, channel, comment } = decision;
  return new TextEncoder().encode(
    JSON.stringify([
      'schemawright-decision-v1',
      requestId,
      updateId,
      questionId,
      optionId,
      person,
      channel,
      comment ?? null,
      signedAt,
    ]),
  );
}

/**
 * Verifies in the workflow sandbox, synchronously (validators are sync): @noble/curves is plain
 * JavaScript. Strict RFC 8032 (no ZIP-215 leniency), so no second encoding of a signature verifies.
 */
export function decisionSignatureValid(
  publicKeyHex: string,
  requestId: string,
  updateId: string,
  decision: DecisionInput,
): boolean {
  const { signature } = decision;
  if (!signature || typeof signature.value !== 'string' || typeof signature.signedAt !== 'string') return false;
  try {
    return ed25519.verify(
      hexToBytes(signature.value),
      decisionPayload(requestId, updateId, decision, signature.signedAt),
      hexToBytes(publicKeyHex),
      { zip215: false },
    );
  } catch {
    // Not hex, or the wrong length: not a signature.
    return false;
  }
}

/** How long a signed decision stays good: the signer's and the workflow's clocks may differ a little. */
const SIGNATURE_FRESH_MS = 10 * 60_000;
const SIGNATURE_SKEW_MS = 5 * 60_000;

/**
 * Why a decision sent as Update `updateId` to `requestId` (a request or a rollout) does not prove its
 * person, or undefined when it does: signed by the key of its channel that the workflow was started
 * with, for this workflow and this Update, minutes ago by the workflow's clock `now`.
 */
export function decisionSignatureProblem(
  decisionKeys: DecisionKeys | undefined,
  requestId: string,
  updateId: string,
  decision: DecisionInput,
  now: number,
): string | undefined {
  const key = decisionKeys?.[decision.channel];
  const signedAt = Date.parse(decision.signature?.signedAt ?? '');
  if (!decisionKeys)
    return `request ${requestId} was started before decisions were signed, so it cannot tell ${decision.person}'s decision from a forged one and takes none: cancel it and start it again`;
  if (!key)
    return `request ${requestId} takes no decisions through '${decision.channel}' (it was started without a key for that channel)`;
  if (!decision.signature)
    return 'the decision is not signed: decide through schemawright (email link, Slack, the API, or the CLI with the operator key), not with an Update sent to Temporal';
  if (!decisionSignatureValid(key, requestId, updateId, decision))
    return `the decision's signature does not verify with the ${decision.channel} key this request was started with: it was altered, signed for another request or Update, or signed with another key (see SCHEMAWRIGHT_DECISION_KEY and SCHEMAWRIGHT_OPERATOR_KEY in the README)`;
  if (!(now - signedAt <= SIGNATURE_FRESH_MS && signedAt - now <= SIGNATURE_SKEW_MS))
    return `the decision was signed at ${decision.signature.signedAt}, not within ${SIGNATURE_FRESH_MS / 60_000} minutes of the request's clock (${new Date(now).toISOString()}): decide again`;
  return undefined;
}
