import type { Pool } from 'pg';
import { waitFor } from '../stack/wait';
import { queryAudit } from '../store/audit';
import { connectTemporal, createTestStore, type TemporalConnections } from '../test/support/stack';
import { AnonymousRefusalLimit } from './anonymous-refusals';
import { auditRefusal } from './requests';

describe('refused attempts without a known actor, past a rate', () => {
  let temporal: TemporalConnections;
  let store: { pool: Pool; close(): Promise<void> };
  beforeAll(async () => {
    temporal = await connectTemporal();
    store = await createTestStore();
  });
  afterAll(async () => {
    await store?.close();
    await temporal?.close();
  });

  it('are written one by one up to the limit, then counted, and the count is written when the window ends', async () => {
    const services = { store: store.pool, temporal: temporal.client };
    const limit = new AnonymousRefusalLimit(2, 300);
    for (let n = 0; n < 5; n++)
      await auditRefusal(
        services,
        { action: 'decide', actor: 'unknown', channel: 'email', reason: `tampered link ${n}` },
        limit,
      );
    // Someone named is never counted away.
    await auditRefusal(services, { action: 'decide', actor: 'ann', channel: 'email', reason: 'expired link' }, limit);
    expect((await queryAudit(store.pool)).map((e) => [e.actor, e.data.reason])).toEqual([
      ['unknown', 'tampered link 0'],
      ['unknown', 'tampered link 1'],
      ['ann', 'expired link'],
    ]);
    const count = await waitFor(
      'the count of the refusals past the limit',
      async () => (await queryAudit(store.pool)).find((e) => e.data.action === 'many'),
      { timeoutMs: 5_000 },
    );
    expect(count).toMatchObject({
      kind: 'refused',
      requestId: '-',
      actor: 'unknown',
      data: {
        count: 3,
        reason: expect.stringMatching(
          /^3 more attempts without a known actor were refused in the window from .*: counted, not written one by one$/,
        ),
      },
    });
  });
});
