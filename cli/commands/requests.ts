import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { readMigrationFiles } from '../../artifacts/migration-files';
import type { Command } from 'commander';
import { readClientEnvironment } from '../../config/environment';
import type { KickoffRequest, requestStatus } from '../../approvals/requests';
import type { RequestKind, RequestStatusView } from '../../workflows/design-request-messages';
import { waitFor } from '../../stack/wait';
import { requestUrl } from '../../approvals/email/messages';
import { optionTitle } from '../../approvals/question-details';
import { exitStatusOf, withExitStatus, EXIT } from './request-exit';

/** Temporal's client and the request operations, loaded only by the commands that use them. */
async function requestApi() {
  const [{ openRequestServices }, requests] = await Promise.all([
    import('../../approvals/services.js'),
    import('../../approvals/requests.js'),
  ]);
  return { openRequestServices, ...requests };
}

/** `request`, `status`, `list`, `decide`, `cancel`: the CLI's side of the one request path. */
export function registerRequestCommands(program: Command): void {
  program
    .command('request')
    .description(
      'Start a request: a spec (.yaml) designs, migration SQL (.sql or a migrations directory) changes, no source reviews the target.',
    )
    .argument('[source]', 'spec.yaml | migration.sql | migrations-dir')
    .requiredOption('--target <name>', 'the target database')
    .requiredOption('--env <environment>', 'the target environment (policy decides who approves)')
    .requiredOption('--as <person>', 'who asks (a person id of the policy file)')
    .option('--kind <kind>', 'design | change | review (default: from the source)')
    .option('--title <title>', 'a short title')
    .option('--id <clientRequestId>', 'your id for the request: repeating it returns the same request')
    .option('--no-wait', 'return once started instead of following progress to the first gate')
    .option('--json', 'print JSON')
    .action(
      (
        source: string | undefined,
        options: {
          target: string;
          env: string;
          as: string;
          kind?: RequestKind;
          title?: string;
          id?: string;
          wait: boolean;
          json?: boolean;
        },
      ) =>
        withExitStatus(async () => {
          const { openRequestServices, startRequest, requestStatus } = await requestApi();
          const environment = readClientEnvironment();
          const services = await openRequestServices(environment, 'operator');
          try {
            const kickoff: KickoffRequest = {
              clientRequestId: options.id,
              kind: options.kind ?? kindOf(source),
              title: options.title ?? (source ? basename(source) : `review ${options.target}`),
              target: options.target,
              environment: options.env,
              requester: options.as,
              channel: 'cli',
              source: source ? readSource(source) : { format: 'sql', text: '' },
            };
            const { requestId, started } = await startRequest(services, kickoff);
            if (!options.json) console.log(`${started ? 'started' : 'already exists:'} request ${requestId}`);
            const view = options.wait
              ? await follow(services, requestId, true)
              : await requestStatus(services, requestId);
            console.log(
              options.json ? JSON.stringify(view, null, 2) : describe(view, environment.approvals.webBaseUrl),
            );
            return exitStatusOf(view.state);
          } finally {
            await services.close();
          }
        }),
    );

  program
    .command('status')
    .description('Show a request: phase, open questions, decisions, timeline.')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) =>
      withExitStatus(async () => {
        const { openRequestServices, requestStatus } = await requestApi();
        const environment = readClientEnvironment();
        const services = await openRequestServices(environment, 'operator');
        try {
          const view = await requestStatus(services, id);
          console.log(options.json ? JSON.stringify(view, null, 2) : describe(view, environment.approvals.webBaseUrl));
          return exitStatusOf(view.state);
        } finally {
          await services.close();
        }
      }),
    );

  program
    .command('list')
    .description('List requests from Temporal visibility, newest first.')
    .option(
      '--status <status>',
      'running | awaiting-approval | applying | completed | rejected | expired | cancelled | failed',
    )
    .option('--target <name>')
    .option('--env <environment>')
    .option('--requester <person>')
    .option('--json', 'print JSON')
    .action(async (options: { status?: string; target?: string; env?: string; requester?: string; json?: boolean }) => {
      const { openRequestServices, listRequests } = await requestApi();
      const services = await openRequestServices(readClientEnvironment(), 'operator');
      try {
        const rows = await listRequests(services, {
          status: options.status,
          target: options.target,
          environment: options.env,
          requester: options.requester,
        });
        if (options.json) console.log(JSON.stringify(rows, null, 2));
        else if (!rows.length) console.log('no requests match');
        else
          for (const r of rows)
            console.log(
              `${r.requestId}  ${r.status.padEnd(17)} ${r.kind.padEnd(6)} ${r.target}/${r.environment}  ${r.phase.padEnd(11)} by ${r.requester}  ${r.startTime.toISOString()}`,
            );
      } finally {
        await services.close();
      }
    });

  program
    .command('decide')
    .description('Choose an option of an open question (or `reject`).')
    .argument('<id>')
    .requiredOption('--question <question>')
    .requiredOption('--option <option>')
    .requiredOption('--as <person>')
    .option('--comment <comment>', 'why: required to reject or to choose against the recommendation')
    .option('--json', 'print JSON')
    .action((id: string, options: { question: string; option: string; as: string; comment?: string; json?: boolean }) =>
      withExitStatus(async () => {
        const { openRequestServices, decideRequest } = await requestApi();
        const services = await openRequestServices(readClientEnvironment(), 'operator');
        try {
          const receipt = await decideRequest(
            services,
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
            options.json
              ? JSON.stringify(receipt, null, 2)
              : `${receipt.person} chose ${receipt.optionId} on ${receipt.questionId}: question ${receipt.questionState} (${receipt.votes}/${receipt.quorum})`,
          );
          return EXIT.ok;
        } finally {
          await services.close();
        }
      }),
    );

  program
    .command('cancel')
    .description('Cancel a request before it applies anything (the requester or an admin).')
    .argument('<id>')
    .requiredOption('--as <person>')
    .option('--reason <reason>')
    .option('--json', 'print JSON')
    .action((id: string, options: { as: string; reason?: string; json?: boolean }) =>
      withExitStatus(async () => {
        const { openRequestServices, cancelRequest } = await requestApi();
        const environment = readClientEnvironment();
        const services = await openRequestServices(environment, 'operator');
        try {
          await cancelRequest(services, id, { person: options.as, reason: options.reason });
          const view = await follow(services, id, false, (v) => v.phase === 'done');
          console.log(options.json ? JSON.stringify(view, null, 2) : describe(view, environment.approvals.webBaseUrl));
          // What was asked for happened: the request ended cancelled.
          return view.state === 'cancelled' ? EXIT.ok : exitStatusOf(view.state);
        } finally {
          await services.close();
        }
      }),
    );
}

function kindOf(source: string | undefined): RequestKind {
  if (!source) return 'review';
  return /\.ya?ml$/i.test(source) ? 'design' : 'change';
}

/** A file becomes the source text; a migrations directory becomes its files, paired up and down and ordered by version. */
export function readSource(path: string): KickoffRequest['source'] {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats)
    throw new Error(`${path} does not exist: give a spec (.yaml), a migration (.sql) or a migrations directory`);
  if (stats.isDirectory()) {
    const files = readMigrationFiles(path);
    if (!files.length)
      throw new Error(
        `${path} has no .sql files: give a goose, sql-migrate, dbmate, golang-migrate, Flyway, diesel or Prisma migrations directory`,
      );
    return { format: 'migrations', text: JSON.stringify(files) };
  }
  return { format: /\.ya?ml$/i.test(path) ? 'spec' : 'sql', text: readFileSync(path, 'utf8'), name: basename(path) };
}

/** Shows each phase as it starts, until the request waits for people or ends (or `until` says). */
export async function follow(
  services: Parameters<typeof requestStatus>[0],
  requestId: string,
  progress: boolean,
  until: (view: RequestStatusView) => boolean = (view) => view.state === 'awaiting-approval' || view.phase === 'done',
): Promise<RequestStatusView> {
  const { requestStatus } = await requestApi();
  const shown = { told: 0, last: '' };
  let view = await requestStatus(services, requestId);
  await waitFor(
    `request ${requestId} to reach a gate or finish`,
    async () => {
      view = await requestStatus(services, requestId);
      for (const line of progressLines(view, shown)) if (progress) process.stderr.write(`  … ${line}\n`);
      return until(view) ? view : undefined;
    },
    { timeoutMs: 30 * 60_000, intervalMs: 250 },
  );
  return view;
}

/**
 * The phases a request went through since `shown`, from its timeline (a phase shorter than the
 * interval between two reads is shown too), then where it is now; `shown` is moved on.
 */
export function progressLines(view: RequestStatusView, shown: { told: number; last: string }): string[] {
  const lines: string[] = [];
  const say = (line: string) => {
    if (line !== shown.last) lines.push(line);
    shown.last = line;
  };
  const timeline = view.timeline ?? [];
  for (const entry of timeline.slice(shown.told)) {
    const phase = /^phase (\S+)$/.exec(entry.event)?.[1];
    if (phase) say(`${phase} (${entry.detail})`);
  }
  shown.told = timeline.length;
  say(`${view.phase} (${view.state})`);
  return lines;
}

/** The text of `--json`'s view: the page, who was asked each question, and the timeline. */
export function describe(view: RequestStatusView, webBaseUrl: string): string {
  const lines = [
    `request ${view.requestId}: ${view.title}`,
    `  ${view.kind} on ${view.target}/${view.environment}, requested by ${view.requester}`,
    `  state ${view.state}, phase ${view.phase}${view.outcome ? `: ${view.outcome}` : ''}`,
    ...(view.waitingFor ? [`  waiting for ${view.waitingFor}`] : []),
    `  page ${requestUrl(webBaseUrl, view.requestId)}`,
  ];
  for (const q of view.questions) {
    lines.push(
      `  question ${q.id} [${q.state}${q.chosenOptionId ? `: ${optionTitle(q, q.chosenOptionId)}` : ''}] ${q.problem}`,
    );
    lines.push(`    asked ${q.askedTo.join(', ') || 'nobody'} (${q.quorum} needed)`);
    for (const o of q.options)
      lines.push(`    - ${o.id}: ${o.title}${o.id === q.recommendation.optionId ? '  (recommended)' : ''}`);
    for (const v of q.votes)
      lines.push(
        `    ${v.person} chose ${optionTitle(q, v.optionId)} via ${v.channel}${v.comment ? `: ${v.comment}` : ''}`,
      );
  }
  lines.push('  timeline');
  for (const entry of view.timeline)
    lines.push(`    ${entry.at}  ${entry.event}${entry.detail ? `: ${entry.detail}` : ''}`);
  return lines.join('\n');
}
