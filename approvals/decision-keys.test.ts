import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnvironment } from '../config/environment';
import { decisionSignatureValid } from '../workflows/decision-signature';
import type { DecisionInput } from '../workflows/design-request-messages';
import { decisionSignerFrom, ephemeralDecisionSigner, publicKeyHex, parseDecisionKey } from './decision-keys';

const DECISION: DecisionInput = {
  questionId: 'approve',
  optionId: 'apply',
  person: 'ann',
  channel: 'api',
  comment: 'fine',
};

describe('decision signatures: node:crypto signs, the workflow verifies with @noble/curves', () => {
  const signer = ephemeralDecisionSigner();

  it('a signed decision verifies with its channel key, and with nothing else changed', () => {
    const signed = signer.sign('r-1', 'update-1', DECISION);
    expect(decisionSignatureValid(signer.publicKeys.api!, 'r-1', 'update-1', signed)).toBe(true);
    const altered: [string, string, string, DecisionInput][] = [
      ['r-2', 'update-1', signer.publicKeys.api!, signed],
      ['r-1', 'update-2', signer.publicKeys.api!, signed],
      ['r-1', 'update-1', signer.publicKeys.cli!, signed],
      ['r-1', 'update-1', signer.publicKeys.api!, { ...signed, person: 'bob' }],
      ['r-1', 'update-1', signer.publicKeys.api!, { ...signed, comment: undefined }],
      [
        'r-1',
        'update-1',
        signer.publicKeys.api!,
        { ...signed, signature: { ...signed.signature!, signedAt: new Date(0).toISOString() } },
      ],
      ['r-1', 'update-1', signer.publicKeys.api!, { ...signed, signature: { ...signed.signature!, value: 'not hex' } }],
      ['r-1', 'update-1', signer.publicKeys.api!, DECISION],
    ];
    expect(
      altered.map(([request, update, key, decision]) => decisionSignatureValid(key, request, update, decision)),
    ).toEqual(altered.map(() => false));
  });

  it('the operator key signs CLI decisions only, the web key email, Slack, web and API', () => {
    expect(
      new Set([signer.publicKeys.email, signer.publicKeys.slack, signer.publicKeys.api, signer.publicKeys.web]).size,
    ).toBe(1);
    expect(signer.publicKeys.cli).not.toBe(signer.publicKeys.api);
    const home = mkdtempSync(join(tmpdir(), 'sw-keys-'));
    try {
      const web = decisionSignerFrom(readEnvironment({ SCHEMAWRIGHT_HOME: home }), 'channels');
      expect(() => web.sign('r-1', 'u-1', { ...DECISION, channel: 'cli' })).toThrow(
        'this process holds no key to sign cli decisions: set SCHEMAWRIGHT_OPERATOR_KEY (the CLI signs them)',
      );
      // The embedded default generates each key once, owner-only, and every process reads the same one.
      const cli = decisionSignerFrom(readEnvironment({ SCHEMAWRIGHT_HOME: home }), 'operator');
      expect(cli.publicKeys).toEqual(web.publicKeys);
      expect(statSync(join(home, 'decision-key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(home, 'operator-key')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('configured keys: a seed in base64, the other side by its public half; a half-configured pair is refused', () => {
    const seed = Buffer.alloc(32, 7).toString('base64');
    const operatorPublic = publicKeyHex(parseDecisionKey(Buffer.alloc(32, 9).toString('base64'), 'x'));
    const web = decisionSignerFrom(
      readEnvironment({ SCHEMAWRIGHT_DECISION_KEY: seed, SCHEMAWRIGHT_OPERATOR_PUBLIC_KEY: operatorPublic }),
      'channels',
    );
    expect(web.publicKeys).toMatchObject({ api: publicKeyHex(parseDecisionKey(seed, 'x')), cli: operatorPublic });
    expect(() => decisionSignerFrom(readEnvironment({ SCHEMAWRIGHT_DECISION_KEY: seed }), 'channels')).toThrow(
      'SCHEMAWRIGHT_DECISION_KEY is set, so SCHEMAWRIGHT_OPERATOR_PUBLIC_KEY must be too',
    );
    expect(() => parseDecisionKey('too-short', 'SCHEMAWRIGHT_DECISION_KEY')).toThrow(
      'SCHEMAWRIGHT_DECISION_KEY must be 32 random bytes in base64 (44 characters): generate it with `openssl rand -base64 32`',
    );
  });
});
