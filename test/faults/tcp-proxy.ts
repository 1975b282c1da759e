import { createServer, connect, type Socket } from 'node:net';

/**
 * A TCP proxy between the runner and a PostgreSQL server, so a test can cut the runner's connections
 * mid-statement as a network does. Written on node:net rather than taken from npm: toxiproxy needs its
 * Go server beside the tests, and node-tcp-proxy / tcp-proxy.js offer no "cut every live connection
 * now" (they close the listener, not the pairs); here a cut is one call and resets both sides.
 */
export interface TcpProxy {
  port: number;
  /** Connections passed through since the start. */
  readonly accepted: number;
  /**
   * After the next client message containing `marker` has passed to the server, that connection's
   * replies are swallowed: the server acts on the message (a COMMIT commits) and the client never
   * hears of it, until a cut.
   */
  swallowRepliesAfter(marker: string): void;
  /** Resets every live connection on both sides (the client sees ECONNRESET, the server a dead peer). */
  cut(): number;
  close(): Promise<void>;
}

/**
 * `delayMs`: each chunk is held this long in each direction (a round trip costs twice it), as a target
 * across a network would; order is kept, since every chunk waits the same.
 */
export async function startTcpProxy(target: { host: string; port: number; delayMs?: number }): Promise<TcpProxy> {
  const delayMs = target.delayMs ?? 0;
  const forward = (to: Socket, chunk: Buffer) => {
    if (delayMs === 0) to.write(chunk);
    else setTimeout(() => to.destroyed || to.write(chunk), delayMs);
  };
  const live = new Set<[Socket, Socket]>();
  let accepted = 0;
  let marker: Buffer | undefined;
  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    live.add(pair);
    const drop = () => {
      live.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Errors are the point of this proxy: each side's ends the pair instead of the test process.
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    let swallowing = false;
    client.on('data', (chunk: Buffer) => {
      forward(upstream, chunk);
      if (marker && chunk.includes(marker)) {
        marker = undefined;
        swallowing = true;
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!swallowing) forward(client, chunk);
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    swallowRepliesAfter(text) {
      marker = Buffer.from(text);
    },
    cut() {
      const pairs = [...live];
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      live.clear();
      return pairs.length;
    },
    async close() {
      for (const [client, upstream] of live) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function throughProxy(url: string, proxy: TcpProxy): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return parsed.toString();
}
