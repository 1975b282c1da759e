import type { Pool } from 'pg';
import type { Escalation, ImpactAssessment } from '../artifacts/escalation';
import { getArtifact } from '../store/artifacts';
import type { QuestionView } from '../workflows/design-request-messages';

/** One option as people see it in Slack, email and the web: the question's view plus the escalation's impact. */
export interface OptionDetails {
  id: string;
  title: string;
  summary?: string;
  impact?: ImpactAssessment;
  risk: string;
  blockingSeconds: number | null;
  recommended: boolean;
}

export interface QuestionDetails {
  question: QuestionView;
  task?: string;
  attempted: string[];
  principles: string[];
  options: OptionDetails[];
}

/**
 * The escalation behind a question is an artifact: JSON for a real escalation, the review report
 * for the plain "apply?" question. Whatever it is, the question's own view is enough to decide.
 */
export async function questionDetails(store: Pool, question: QuestionView): Promise<QuestionDetails> {
  const escalation = await escalationOf(store, question);
  const byId = new Map((escalation?.options ?? []).map((option) => [option.id, option]));
  return {
    question,
    task: escalation?.task,
    attempted: escalation?.attempted ?? [],
    principles: escalation?.principles ?? [],
    options: question.options.map((option) => ({
      ...option,
      summary: byId.get(option.id)?.summary,
      impact: byId.get(option.id)?.impact,
      recommended: option.id === question.recommendation.optionId,
    })),
  };
}

async function escalationOf(store: Pool, question: QuestionView): Promise<Escalation | undefined> {
  try {
    const artifact = await getArtifact(store, question.escalation.digest);
    if (!artifact.mediaType.includes('json')) return undefined;
    const parsed = JSON.parse(artifact.content) as Partial<Escalation>;
    return Array.isArray(parsed.options) ? (parsed as Escalation) : undefined;
  } catch {
    return undefined; // a missing artifact must not stop a question from being asked
  }
}

/** An option as people read it: its title (the id only for an option the question no longer lists). */
export function optionTitle(question: Pick<QuestionView, 'options'>, optionId: string): string {
  return question.options.find((option) => option.id === optionId)?.title ?? optionId;
}

/** null is an option whose blocking was not estimated (the plain approval, apply again): it says nothing of what the option applies. */
export function blockingText(seconds: number | null): string {
  if (seconds === null) return 'blocking not estimated';
  if (seconds === 0) return 'no blocking';
  return seconds < 120 ? `blocks for about ${seconds} s` : `blocks for about ${Math.round(seconds / 60)} min`;
}
