import { ed25519 } from '@noble/curves/ed25519.js';
import { hexToBytes } from '@noble/curves/utils.js';
import type { DecisionInput } from './design-request-messages';

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
