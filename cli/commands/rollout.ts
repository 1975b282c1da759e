import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { readClientEnvironment } from '../../config/environment';
import type { ControlAction, RolloutState, RolloutStatusView } from '../../workflows/rollout-messages';
import { readSource } from './requests';
import { EXIT, exitStatusOf, withExitStatus } from './request-exit';

/** The request services with the policy's groups, and the rollout operations, loaded when a command runs. */
async function rolloutApi() {
  const [{ openRequestServices }, rollouts] = await Promise.all([
    import('../../approvals/services.js'),
    import('../../approvals/rollouts.js'),
  ]);
  const services = await openRequestServices(readClientEnvironment(), 'operator');
  return { services: { ...services, groups: services.policy.groups }, ...rollouts };
}

/** A rollout that ended aborted exits as a cancelled request does (README, "Exit statuses"). */
function rolloutExit(state: RolloutState): number {
  return exitStatusOf(state === 'aborted' ? 'cancelled' : state === 'paused' ? 'running' : state);
}

/** `rollout start|status|decide|link|pause|resume|skip|retry|abort`: the CLI's side of the rollout path. */
export function registerRolloutCommands(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('One reviewed change over a target group of the policy: stages, approvals per stage, waves.');

  rollout
    .command('start')
    .description('Start a rollout of migration SQL (.sql), a migrations directory or a spec over a group.')
    .argument('<source>', 'migration.sql | migrations-dir | spec.yaml')
    .requiredOption('--group <name>', 'the target group (policy `groups`)')
    .requiredOption('--as <person>', 'who asks (a person id of the policy file)')
    .option('--title <title>', 'a short title')
    .option('--id <clientRolloutId>', 'your id for the rollout: repeating it returns the same rollout')
    .option('--concurrency <n>', 'targets applied at once within a wave (default 10)', Number)
    .option('--json', 'print JSON')
    .action(
      (
        source: string,
        options: { group: string; as: string; title?: string; id?: string; concurrency?: number; json?: boolean },
      ) =>
        withExitStatus(async () => {
          const api = await rolloutApi();
          try {
            const read = readSource(source);
            const started = await api.startRollout(api.services, {
              clientRolloutId: options.id,
              group: options.group,
              title: options.title ?? basename(source),
              requester: options.as,
              channel: 'cli',
              source: read as { format: 'sql' | 'migrations' | 'spec'; text: string; name?: string },
              concurrency: options.concurrency,
            });
            console.log(
              options.json
                ? JSON.stringify(started)
                : `${started.started ? 'started' : 'already exists:'} rollout ${started.rolloutId} over ${started.targets} target(s) of ${options.group}`,
            );
            return EXIT.ok;
          } finally {
            await api.services.close();
          }
        }),
    );

  rollout
    .command('status')
    .description('Show a rollout: every target by stage and wave, the current wave, open questions.')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) =>
      withExitStatus(async () => {
        const api = await rolloutApi();
        try {
          const view = await api.rolloutStatusOf(api.services, id);
          console.log(options.json ? JSON.stringify(view, null, 2) : rolloutGrid(view));
          return rolloutExit(view.state);
        } finally {
          await api.services.close();
        }
      }),
    );

  rollout
    .command('decide')
    .description(
      "Choose an option of a rollout's open question: `apply` or `reject` for a stage, `skip`, `retry` or `abort` for a stopped wave.",
    )
    .argument('<id>')
    .requiredOption('--question <question>')
    .requiredOption('--option <option>')
    .requiredOption('--as <person>')
    .option('--comment <comment>', 'why: required to choose against the recommendation')
    .action((id: string, options: { question: string; option: string; as: string; comment?: string }) =>
      withExitStatus(async () => {
        const api = await rolloutApi();
        try {
          const receipt = await api.decideRollout(
            api.services,
            id,
            {
              questionId: options.question,
              optionId: options.option,
              person: options.as,
              channel: 'cli',
              comment: options.comment,
            },
            `cli-${randomUUID()}`,
          );
          console.log(
            `${receipt.person} chose ${receipt.optionId} on ${receipt.questionId}: question ${receipt.questionState} (${receipt.votes}/${receipt.quorum})`,
          );
          return EXIT.ok;
        } finally {
          await api.services.close();
        }
      }),
    );

  rollout
    .command('link')
    .description(
      "Print a link to the rollout's web page that lets a person act once from it: pause, resume, skip, retry, abort, or decide its open question.",
    )
    .argument('<id>')
    .requiredOption('--as <person>', 'whom the link is for: the rollout checks, when it is used, that they may')
    .option('--hours <n>', 'how long the link holds (default 24)', Number)
    .action((id: string, options: { as: string; hours?: number }) =>
      withExitStatus(async () => {
        const environment = readClientEnvironment();
        const [api, { issueRolloutLink }, { tokenKeysFrom }] = await Promise.all([
          rolloutApi(),
          import('../../approvals/web/rollout-routes.js'),
          import('../../approvals/email/tokens.js'),
        ]);
        try {
          // An unknown rollout is refused here, not when the link is opened.
          await api.rolloutStatusOf(api.services, id);
          const url = await issueRolloutLink(
            api.services.store,
            tokenKeysFrom(environment),
            environment.approvals.webBaseUrl,
            id,
            options.as,
            options.hours,
          );
          console.log(url);
          return EXIT.ok;
        } finally {
          await api.services.close();
        }
      }),
    );

  const controls: [ControlAction, string, boolean][] = [
    ['pause', 'Start no more targets until resumed (those applying finish).', false],
    ['resume', 'Start targets again after a pause.', false],
    ['abort', 'Apply nothing more: the targets not yet applied end aborted.', false],
    ['skip', 'Leave a pending or failed target out.', true],
    ['retry', 'Apply a failed or skipped target again, in the current wave.', true],
  ];
  for (const [action, description, takesTarget] of controls) {
    const command = rollout.command(action).description(description).argument('<id>');
    if (takesTarget) command.argument('<target>');
    command
      .requiredOption('--as <person>', "the requester, one of the stages' approvers or an admin")
      .option('--comment <comment>')
      .action((id: string, ...rest: unknown[]) =>
        withExitStatus(async () => {
          const target = takesTarget ? (rest[0] as string) : undefined;
          const options = rest[takesTarget ? 1 : 0] as { as: string; comment?: string };
          const api = await rolloutApi();
          try {
            const view = await api.controlRollout(api.services, id, {
              action,
              target,
              person: options.as,
              channel: 'cli',
              comment: options.comment,
            });
            console.log(rolloutGrid(view));
            return rolloutExit(view.state);
          } finally {
            await api.services.close();
          }
        }),
      );
  }
}

const MARK: Record<string, string> = {
  pending: '.',
  applying: '~',
  applied: '#',
  unchanged: '=',
  failed: 'X',
  skipped: 's',
  drifted: 'd',
  aborted: '-',
};

/** A rollout as a grid: one line per stage and wave, one mark per target, then what failed and what is asked. */
export function rolloutGrid(view: RolloutStatusView): string {
  const lines = [
    `rollout ${view.rolloutId}: ${view.title} (group ${view.group}, by ${view.requester})`,
    `state: ${view.state}${view.paused ? ' (paused)' : ''}${view.current ? `; now: ${view.current.environment}, wave ${view.current.wave} of ${view.current.waves}` : ''}`,
    `reviews: ${view.reviews.map((r) => `${r.migration.digest.slice(0, 19)} (${r.steps} step(s), on ${r.reviewedOn})`).join('; ') || 'none yet'}`,
  ];
  const waves = new Map<string, RolloutStatusView['targets']>();
  for (const target of view.targets) {
    const key = `${target.environment} wave ${target.wave}`;
    waves.set(key, [...(waves.get(key) ?? []), target]);
  }
  for (const [key, targets] of waves) {
    const counts = Object.entries(
      targets.reduce<Record<string, number>>((n, t) => ({ ...n, [t.state]: (n[t.state] ?? 0) + 1 }), {}),
    )
      .map(([state, n]) => `${n} ${state}`)
      .join(', ');
    lines.push(`  ${key.padEnd(24)} ${targets.map((t) => MARK[t.state]).join('')}  ${counts}`);
  }
  lines.push(
    `  (${Object.entries(MARK)
      .map(([state, mark]) => `${mark} ${state}`)
      .join(', ')})`,
  );
  for (const target of view.targets.filter((t) => ['failed', 'drifted', 'skipped'].includes(t.state)))
    lines.push(`  ${target.state} ${target.name}: ${target.detail ?? ''}`);
  for (const question of view.questions.filter((q) => q.state === 'open'))
    lines.push(
      `question ${question.id} (asked to ${question.askedTo.join(', ')}): ${question.problem}`,
      `  options: ${question.options.map((o) => o.id).join(', ')}`,
    );
  if (view.outcome) lines.push(`outcome: ${view.outcome}`);
  return lines.join('\n');
}
