/**
 * A webhook subscriber on loopback, as a team wiring Patron to its systems would write one: it
 * verifies every delivery with the `standardwebhooks` library (Patron's code plays no part in the
 * check) and keeps what it received. The demo subscribes it to every event; tests use it too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  /** The `webhook-id`: the same on every retry of one event. */
  id: string;
  type: string;
  timestamp: string;
  // biome-ignore lint/suspicious/noExplicitAny: event data differs per type; the demo and tests read it loosely.
  data: Record<string, any>;
  verified: boolean;
}

export class EventReceiver {
  readonly received: ReceivedEvent[] = [];
  /** The subscription's signing secret (whsec_...), set once subscribed. */
  secret = '';
  /** The HTTP status to answer (a test makes the receiver fail). */
  answer: (req: IncomingMessage) => number = () => 204;
  url = '';
  private server: Server | undefined;

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let verified = true;
        try {
          new Webhook(this.secret).verify(body, req.headers as Record<string, string>);
        } catch {
          verified = false;
        }
        try {
          const parsed = JSON.parse(body) as { type: string; timestamp: string; data: Record<string, unknown> };
          this.received.push({
            id: String(req.headers['webhook-id']),
            type: parsed.type,
            timestamp: parsed.timestamp,
            data: parsed.data,
            verified,
          });
        } catch {
          this.received.push({ id: String(req.headers['webhook-id']), type: '(not JSON)', timestamp: '', data: {}, verified });
        }
        res.writeHead(verified ? this.answer(req) : 401).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/patron-events`;
    return this;
  }

  of(type: string, where: (r: ReceivedEvent) => boolean = () => true): ReceivedEvent[] {
    return this.received.filter((r) => r.type === type && where(r));
  }

  /** Waits until `count` events of `type` matching `where` arrived. */
  async waitFor(type: string, where: (r: ReceivedEvent) => boolean = () => true, count = 1, timeoutMs = 30_000): Promise<ReceivedEvent[]> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const found = this.of(type, where);
      if (found.length >= count) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${count} × ${type} within ${timeoutMs} ms; received: ${[...new Set(this.received.map((r) => r.type))].join(', ')}`);
  }

  /** Waits until nothing new arrived for `quietMs` (deliveries of a burst have settled), at most `timeoutMs`. */
  async settle(quietMs = 1_000, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let seen = -1;
    while (Date.now() < until && seen !== this.received.length) {
      seen = this.received.length;
      await new Promise((r) => setTimeout(r, quietMs));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
