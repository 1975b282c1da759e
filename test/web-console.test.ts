import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { ConsoleMessage, Page } from 'playwright-core';
import type { Pool } from 'pg';
import { startMailCapture, type MailCapture } from '../approvals/email/capture';
import { issueToken, parseTokenKeys } from '../approvals/email/tokens';
import { loadPolicy } from '../approvals/policy';
import { decideRequest, requestStatus, startRequest } from '../approvals/requests';
import { parseApiTokens } from '../approvals/web/http';
import { createWebServer, listen } from '../approvals/web/server';
import { launchChromium } from './support/chromium';
import { atGate, ended, requestHarness, statusWhen, type RequestHarness } from './support/requests';
import { connectTemporal, createTestStore, uniqueName, type TemporalConnections } from './support/stack';

const KEYS = parseTokenKeys(`k1:${'c'.repeat(40)}`);
/** Screenshots of every page, for a person to look at: test-output/ is not committed. */
const SHOTS = join(__dirname, '..', 'test-output', 'web-console');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Every page of the console in headless Chromium, as a person sees it: no script or style refused by
 * the Content-Security-Policy, no script error, the ERD drawn by the bundled Mermaid, no page wider
 * than a phone's screen, and axe-core finds no serious or critical accessibility violation.
 */
describe('the web console in a browser', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  let harness: RequestHarness;
  let capture: MailCapture;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    temporal = await connectTemporal();
    store = await createTestStore();
    harness = await requestHarness(temporal, store.pool, { targetSetup: '' });
    capture = await startMailCapture(store.pool, 0);
    const policy = loadPolicy();
    server = createWebServer({
      services: { ...harness.services, policy, policyTargets: [harness.target.name] },
      tokenKeys: KEYS,
      apiTokens: parseApiTokens(undefined),
      inbox: true,
    });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    server?.close();
    server?.closeAllConnections();
    await capture?.close();
    await harness?.close();
    await store?.close();
    await temporal?.close();
  });

  /** Opens `path` at a desktop and a phone's width; returns what went wrong in the browser. */
  async function visit(page: Page, name: string, path: string, ready?: (page: Page) => Promise<void>) {
    const problems: string[] = [];
    const onConsole = (m: ConsoleMessage) =>
      m.type() === 'error' ? problems.push(`console: ${m.text()} (${m.location().url})`) : undefined;
    const onError = (e: Error) => problems.push(`page error: ${e.message}`);
    page.on('console', onConsole);
    page.on('pageerror', onError);
    const widths: number[] = [];
    const violations: Violation[] = [];
    for (const [viewport, size] of [
      ['desktop', { width: 1280, height: 900 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      await page.setViewportSize(size);
      const answer = await page.goto(`${base}${path}`);
      expect([name, answer?.status()]).toEqual([name, 200]);
      await ready?.(page);
      await page.screenshot({ path: join(SHOTS, `${name}-${viewport}.png`), fullPage: true });
      // The page itself must not scroll sideways on a phone: wide tables and code scroll in their own box.
      widths.push(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth));
      // Playwright's evaluate is not bound by the page's CSP, which refuses every inline script: axe runs here.
      await page.evaluate(AXE);
      const found = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe;
        return (await axe.run()).violations;
      });
      violations.push(...found.filter((v) => v.impact === 'serious' || v.impact === 'critical'));
    }
    page.off('console', onConsole);
    page.off('pageerror', onError);
    return { problems, widths, violations: violations.map((v) => `${v.id} (${v.help}) at ${v.nodes[0]?.target}`) };
  }

  it('every page: drawn without a CSP refusal or script error, fits a phone, and has no serious accessibility violation', async () => {
    const spec = readFileSync(join(__dirname, '..', 'examples', 'ecommerce.yaml'), 'utf8');
    const { requestId } = await startRequest(harness.services, {
      clientRequestId: uniqueName('console'),
      kind: 'design',
      title: 'shop from its spec',
      target: harness.target.name,
      environment: 'production',
      requester: 'rita',
      channel: 'cli',
      source: { format: 'spec', text: spec },
    });
    const gate = await statusWhen(harness.services, requestId, 'at the gate', atGate, 180_000);
    const question = gate.questions.find((q) => q.state === 'open')!;
    const { token } = await issueToken(store.pool, KEYS, {
      requestId,
      questionId: question.id,
      person: 'ann',
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    });
    const { rows } = await store.pool.query<{ id: string }>(
      "INSERT INTO captured_mail (mail_from, rcpt_to, subject, text_body, html_body) VALUES ('schemawright@localhost', '{ann@example.test}', 'Decision needed', 'Choose: http://x.test/decide?token=t', '<p>Choose</p>') RETURNING id",
    );
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const diagrams = async (p: Page) => {
        // Each ```mermaid block is its own diagram, drawn as SVG by the Mermaid this server serves.
        await p.waitForFunction(
          () => {
            const blocks = document.querySelectorAll('pre.mermaid');
            return blocks.length > 0 && Array.from(blocks).every((b) => b.querySelector('svg'));
          },
          undefined,
          { timeout: 30_000 },
        );
      };
      const atGatePage = await visit(page, 'request-at-gate', `/requests/${requestId}`, diagrams);
      expect(await page.locator('pre.mermaid svg').count()).toBe(2);
      expect(await page.locator('h2').allTextContents()).toEqual(
        expect.arrayContaining([
          'Findings',
          'Entity-relationship diagram',
          'Migration',
          'Step plan',
          'Questions',
          'Timeline',
        ]),
      );
      expect(await page.locator('code.hljs .hljs-keyword').count()).toBeGreaterThan(0);

      const decision = await visit(page, 'decision', `/decide?token=${encodeURIComponent(token)}`);

      for (const q of (await requestStatus(harness.services, requestId)).questions.filter((q) => q.state === 'open'))
        await decideRequest(harness.services, requestId, {
          questionId: q.id,
          optionId: q.recommendation.optionId,
          person: 'ann',
          channel: 'cli',
        });
      const done = await statusWhen(harness.services, requestId, 'done', ended, 180_000);
      expect(done.state).toBe('completed');

      // The target's current schema: the tables the design request created, read after the apply.
      const target = await visit(page, 'target', `/targets/${harness.target.name}`, diagrams);
      expect(await page.locator('pre.mermaid svg').count()).toBe(1);
      expect(await page.locator('pre.mermaid svg').textContent()).toContain('customer');
      const visits = {
        target,
        atGatePage,
        decision,
        completed: await visit(page, 'request-completed', `/requests/${requestId}`, diagrams),
        list: await visit(page, 'requests', '/'),
        filtered: await visit(page, 'requests-filtered', `/?kind=design&text=shop`),
        history: await visit(page, 'history', '/history'),
        historyOfRequest: await visit(page, 'history-request', `/history?request=${encodeURIComponent(requestId)}`),
        inbox: await visit(page, 'inbox', '/inbox'),
        mail: await visit(page, 'mail', `/inbox/${rows[0]!.id}`),
      };
      const clean = { problems: [], violations: [], widths: [0, 0] };
      expect(
        Object.entries(visits).map(([name, v]) => [
          name,
          v.problems,
          v.violations,
          v.widths.map((w) => Math.max(w, 0)),
        ]),
      ).toEqual(Object.keys(visits).map((name) => [name, clean.problems, clean.violations, clean.widths]));
    } finally {
      await browser.close();
    }
  }, 600_000);
});
