import { WorkflowNotFoundError } from '@temporalio/client';
import { appendAudit } from '../store/audit';
import type { DecisionInput, DecisionReceipt } from '../workflows/design-request-messages';
import { RequestTarget } from '../workflows/search-attributes';
import { decideRequest, RefusedError, workflowIdOf, type RequestServices } from './requests';

/**
 * A decision from a person's channel (Slack, email link, web, API): through the one decision path,
 * and a refusal is audited with its reason before it is shown to the person (the workflow writes
 * nothing for a refused Update, so the channel does).
 */
export async function decideAs(services: Pick<RequestServices, 'temporal' | 'store'>, requestId: string, decision: DecisionInput, actionId?: string): Promise<DecisionReceipt> {
  try {
    return await decideRequest(services, requestId, decision, actionId);
  } catch (error) {
    if (error instanceof RefusedError) {
      await appendAudit(services.store, {
        kind: 'decision-refused',
        requestId,
        target: await targetOf(services, requestId),
        actor: decision.person,
        channel: decision.channel,
        data: { question: decision.questionId, option: decision.optionId, reason: error.reason, ...(decision.comment ? { comment: decision.comment } : {}) },
      });
    }
    throw error;
  }
}

async function targetOf(services: Pick<RequestServices, 'temporal'>, requestId: string): Promise<string> {
  try {
    const description = await services.temporal.workflow.getHandle(workflowIdOf(requestId)).describe();
    return description.typedSearchAttributes.get(RequestTarget) ?? '';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return '';
    throw error;
  }
}
