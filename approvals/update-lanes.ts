/**
 * Temporal takes at most 10 Updates in flight per workflow (history.maxInFlightUpdates); past that it
 * answers RESOURCE_EXHAUSTED, the client retries, and the workflow's tasks fail under the load. So a
 * process sends a few Updates per request at a time, lets a bounded number wait their turn in
 * order, and turns away the rest at once (the caller answers 429: try again).
 */
export class UpdateLanes {
  private readonly lanes = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(
    private readonly inFlight = 4,
    private readonly maxWaiting = 100,
  ) {}

  /** Runs `work` in the lane of `key`, or returns `undefined` at once when the lane is full. */
  async run<T>(key: string, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    let lane = this.lanes.get(key);
    if (!lane) this.lanes.set(key, (lane = { running: 0, waiting: [] }));
    if (lane.running >= this.inFlight) {
      if (lane.waiting.length >= this.maxWaiting) return undefined;
      await new Promise<void>((resolve) => lane!.waiting.push(resolve));
    } else {
      lane.running += 1;
    }
    try {
      return { value: await work() };
    } finally {
      // The slot passes to the next in line, or is given back.
      const next = lane.waiting.shift();
      if (next) next();
      else if (--lane.running === 0) this.lanes.delete(key);
    }
  }
}
