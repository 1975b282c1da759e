import { createServer } from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly what: string,
    readonly hint: string,
  ) {
    super(`Port ${port} for ${what} is already in use. ${hint}`);
  }
}

/** Resolves with a port the OS says is free on 127.0.0.1 (0 asks the OS to choose one). */
export function claimablePort(port: number, host = '127.0.0.1'): Promise<number | undefined> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      const chosen = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolvePort(chosen));
    });
  });
}

export async function freePort(): Promise<number> {
  const chosen = await claimablePort(0);
  if (chosen === undefined) throw new Error('The OS gave no free port on 127.0.0.1.');
  return chosen;
}

/** Fails with a message naming the port, its use, and how to pick another, instead of a bind stack trace. */
export async function requireFreePort(port: number, what: string, hint: string): Promise<number> {
  const chosen = await claimablePort(port);
  if (chosen === undefined) throw new PortInUseError(port, what, hint);
  return chosen;
}
