import nodemailer from 'nodemailer';
import { createConnection } from 'node:net';
import { waitFor } from '../../stack/wait';
import { createTestStore, type TestStore } from '../../test/support/stack';
import { capturedMail, startMailCapture, type MailCapture } from './capture';

describe('the mail capture', () => {
  let store: TestStore;
  let capture: MailCapture;

  beforeAll(async () => {
    store = await createTestStore();
    capture = await startMailCapture(store.pool, 0);
  });

  afterAll(async () => {
    await capture?.close();
    await store?.close();
  });

  it('outlives a sender that resets its connection mid-session, and takes the next mail', async () => {
    // What a worker killed while it mails does to the capture.
    const socket = createConnection(capture.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write('EHLO killed.example\r\nMAIL FROM:<worker@example.test>\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.resetAndDestroy();

    await nodemailer
      .createTransport({ host: '127.0.0.1', port: capture.port, secure: false, ignoreTLS: true })
      .sendMail({
        from: 'worker@example.test',
        to: 'ann@example.test',
        subject: 'after the reset',
        text: 'still here',
      });
    const mail = await waitFor(
      'the mail after the reset',
      async () => (await capturedMail(store.pool)).find((m) => m.subject === 'after the reset'),
      { timeoutMs: 10_000 },
    );
    expect(mail.to).toEqual(['ann@example.test']);
  });
});
