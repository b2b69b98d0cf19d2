/** A webhook receiver on loopback that verifies each delivery with the `standardwebhooks` library (not Patron's code). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { postJson } from './offers.js';

export interface Received {
  id: string;
  type: string;
  data: Record<string, any>;
  verified: boolean;
}

/** A receiver on loopback: verifies each delivery with standardwebhooks, answers what `answer` says. */
export class Receiver {
  readonly received: Received[] = [];
  secret = '';
  answer: (req: IncomingMessage) => number = () => 204;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let verified = false;
        try {
          new Webhook(this.secret).verify(body, req.headers as Record<string, string>);
          verified = true;
        } catch {
          verified = false;
        }
        const parsed = JSON.parse(body) as { type: string; data: Record<string, any> };
        this.received.push({ id: String(req.headers['webhook-id']), type: parsed.type, data: parsed.data, verified });
        res.writeHead(this.answer(req)).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  of(type: string, where: (r: Received) => boolean = () => true): Received[] {
    return this.received.filter((r) => r.type === type && where(r));
  }

  async waitFor(type: string, where: (r: Received) => boolean = () => true, count = 1, timeoutMs = 30_000): Promise<Received[]> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const found = this.of(type, where);
      if (found.length >= count) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${count} × ${type} within ${timeoutMs} ms; got ${this.received.map((r) => r.type).join(', ')}`);
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

/** Subscribes the receiver (its secret set from the answer); the id is pushed to `created` for clean-up. */
export async function subscribe(created: string[], receiver: Receiver, events: string[]): Promise<string> {
  const res = await postJson('/subscriptions', { url: receiver.url, events, description: 'integration test' });
  expect(res.status).toBe(201);
  const body = await res.json();
  expect(body.secret).toMatch(/^whsec_/);
  receiver.secret = body.secret;
  created.push(body.subscription.id);
  return body.subscription.id;
}
