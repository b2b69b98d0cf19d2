/** Small helpers shared by the embedded runtime. */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** Where diagnostic lines go. The default writes to stderr so stdout stays clean for banners. */
export type Log = (message: string) => void;

export const stderrLog: Log = (message) => {
  process.stderr.write(`[patron-local] ${message}\n`);
};

export const silentLog: Log = () => {};

/** The repository root (this file lives in `<root>/local/`). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Account id used in every fake ARN; fauxqs uses the same one. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';
/** Dummy credentials: DynamoDB Local and fauxqs accept anything but the SDK insists on some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'patronlocal', secretAccessKey: 'patronlocal' } as const;

/**
 * A port that was free a moment ago: listen on port 0, read the port the OS chose, close.
 * Racy by nature (someone may grab it before we use it), so callers retry on EADDRINUSE.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not determine a free port'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when the module whose `import.meta.url` is given is the process entry point. */
export function isMainModule(metaUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(resolve(entry)) === realpathSync(fileURLToPath(metaUrl));
  } catch {
    return false;
  }
}

/** Listens on a free loopback port: the base URL, and a close that also drops kept-alive connections. */
export async function listenOnLoopback(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A request's whole body. */
export function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
