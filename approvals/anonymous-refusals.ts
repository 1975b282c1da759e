/**
 * Refusals nobody can be named for (a tampered link, an unknown token, a bad Slack signature) come
 * from anyone who reaches the server. Past `limit` in a window they are counted instead of written
 * one by one, and the count is written when the window ends: a flood can neither fill the audit
 * log nor hold its append lock, and every attempt is still accounted for. A count not yet written
 * when the process stops is lost.
 */
export class AnonymousRefusalLimit {
  private windowStart = Number.NEGATIVE_INFINITY;
  private written = 0;
  private counted = 0;
  private flushTimer?: NodeJS.Timeout;

  constructor(
    private readonly limit = 30,
    private readonly windowMs = 60_000,
  ) {}

  /** True: write this refusal. False: it was counted, and `flush` will write the count when the window ends. */
  admit(flush: (count: number, windowStart: Date) => Promise<unknown>): boolean {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.written = 0;
    }
    if (this.written < this.limit) {
      this.written += 1;
      return true;
    }
    this.counted += 1;
    if (!this.flushTimer) {
      const windowStart = new Date(this.windowStart);
      this.flushTimer = setTimeout(
        () => {
          const count = this.counted;
          this.counted = 0;
          this.flushTimer = undefined;
          flush(count, windowStart).catch(() => undefined);
        },
        this.windowStart + this.windowMs - now,
      );
      this.flushTimer.unref();
    }
    return false;
  }
}
