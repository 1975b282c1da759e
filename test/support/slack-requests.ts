import { createHmac } from 'node:crypto';

/** Requests as Slack sends them: signed with v0 HMAC-SHA256 of `v0:timestamp:body`. */
export class SlackSender {
  constructor(
    private readonly eventsUrl: string,
    private readonly signingSecret: string,
  ) {}

  signature(body: string, timestamp: number, secret = this.signingSecret): Record<string, string> {
    return {
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`,
    };
  }

  async post(
    body: string,
    contentType: string,
    options: { timestamp?: number; secret?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    return fetch(this.eventsUrl, {
      method: 'POST',
      body,
      headers: { 'content-type': contentType, ...this.signature(body, timestamp, options.secret), ...options.headers },
    });
  }

  command(fields: Record<string, string>, options?: Parameters<SlackSender['post']>[2]): Promise<Response> {
    return this.post(
      new URLSearchParams({ command: '/dbdesign', team_id: 'T1', channel_id: 'C0CHAN', ...fields }).toString(),
      'application/x-www-form-urlencoded',
      options,
    );
  }

  interaction(payload: Record<string, unknown>, options?: Parameters<SlackSender['post']>[2]): Promise<Response> {
    return this.post(
      new URLSearchParams({ payload: JSON.stringify({ team: { id: 'T1' }, api_app_id: 'A1', ...payload }) }).toString(),
      'application/x-www-form-urlencoded',
      options,
    );
  }

  event(
    event: Record<string, unknown>,
    eventId: string,
    options?: Parameters<SlackSender['post']>[2],
  ): Promise<Response> {
    return this.post(
      JSON.stringify({
        type: 'event_callback',
        team_id: 'T1',
        api_app_id: 'A1',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        event,
      }),
      'application/json',
      options,
    );
  }
}
