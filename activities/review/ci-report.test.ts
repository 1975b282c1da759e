import type { Escalation } from '../../artifacts/escalation';
import { renderGithub, renderSarif } from './ci-report';
import type { ReviewReport } from './review';

const escalation: Escalation = {
  id: 'SW-ESC-PRIVILEGED:alter-system',
  trigger: 'SW-ESC-PRIVILEGED',
  task: 'Apply 002_index',
  problem: 'ALTER SYSTEM needs a superuser',
  attempted: [],
  options: [],
  recommendation: { optionId: 'defer', reason: 'r' },
  principles: [],
  evidence: {},
  steps: ['002_index:1'],
};

const report: ReviewReport = {
  pgVersion: '16',
  files: [
    {
      path: '002_index.up.sql',
      statements: 2,
      steps: [{ kind: 'transactional', name: '002_index:1', sql: 'SELECT 1' }],
    },
  ] as ReviewReport['files'],
  findings: [
    {
      id: 'SW-L-UNBOUNDED-UPDATE',
      source: 'schemawright',
      severity: 'warning',
      message: 'UPDATE of orders: no WHERE,\nrewrites every row: 100% of it',
      why: 'w',
      location: { file: '002_index.up.sql', line: 1, column: 3 },
    },
    {
      id: 'SW-NO-SUCH-RULE',
      source: 'schemawright',
      severity: 'info',
      message: 'a note without a place',
      why: 'why it matters',
      fix: 'what to do',
    },
  ],
  counts: { error: 0, warning: 1, info: 1 },
  escalations: [escalation],
};

describe('CI report formats', () => {
  it('github: one workflow command per finding and escalation, escaped as GitHub requires', () => {
    expect(renderGithub(report, { base: 'db/migrations' })).toBe(
      [
        '::warning file=db/migrations/002_index.up.sql,line=1,col=3,title=SW-L-UNBOUNDED-UPDATE::UPDATE of orders: no WHERE,%0Arewrites every row: 100%25 of it',
        '::notice title=SW-NO-SUCH-RULE::a note without a place',
        '::error file=db/migrations/002_index.up.sql,title=SW-ESC-PRIVILEGED::ALTER SYSTEM needs a superuser (a question for people: SW-ESC-PRIVILEGED:alter-system)',
      ].join('\n'),
    );
  });

  it('github: escapes : and , in properties', () => {
    const odd = {
      ...report,
      findings: [{ ...report.findings[0]!, location: { file: 'a,b:c.sql', line: 2, column: 1 } }],
      escalations: [],
    };
    expect(renderGithub(odd)).toBe(
      '::warning file=a%2Cb%3Ac.sql,line=2,col=1,title=SW-L-UNBOUNDED-UPDATE::UPDATE of orders: no WHERE,%0Arewrites every row: 100%25 of it',
    );
  });

  it('sarif: one 2.1.0 run with the rules from the catalogue (or the finding) and located results', () => {
    const sarif = JSON.parse(renderSarif(report, { base: 'db' }));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(sarif.runs).toHaveLength(1);
    const { driver } = sarif.runs[0].tool;
    expect(driver.name).toBe('schemawright');
    expect(driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'SW-L-UNBOUNDED-UPDATE',
      'SW-NO-SUCH-RULE',
      'SW-ESC-PRIVILEGED',
    ]);
    // A catalogued rule carries its own explanation and remedy, not the finding's.
    expect(driver.rules[0].shortDescription.text).toMatch(/UPDATE/);
    expect(driver.rules[0].shortDescription.text).not.toBe('w');
    expect(driver.rules[0].help.text.length).toBeGreaterThan(0);
    expect(driver.rules[1]).toEqual({
      id: 'SW-NO-SUCH-RULE',
      shortDescription: { text: 'why it matters' },
      help: { text: 'what to do' },
    });
    expect(sarif.runs[0].results).toEqual([
      {
        ruleId: 'SW-L-UNBOUNDED-UPDATE',
        ruleIndex: 0,
        level: 'warning',
        message: { text: 'UPDATE of orders: no WHERE,\nrewrites every row: 100% of it' },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: 'db/002_index.up.sql' },
              region: { startLine: 1, startColumn: 3 },
            },
          },
        ],
      },
      {
        ruleId: 'SW-NO-SUCH-RULE',
        ruleIndex: 1,
        level: 'note',
        message: { text: 'a note without a place' },
        locations: [],
      },
      {
        ruleId: 'SW-ESC-PRIVILEGED',
        ruleIndex: 2,
        level: 'error',
        message: { text: 'ALTER SYSTEM needs a superuser (a question for people: SW-ESC-PRIVILEGED:alter-system)' },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'db/002_index.up.sql' } } }],
      },
    ]);
  });
});
