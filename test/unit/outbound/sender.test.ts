import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { sendWebhook, signedHeaders } from '../../../layers/core/src/outbound/sender.js';

/** A receiver on loopback whose answer each test sets; it keeps what it received. */
let server: Server;
let base: string;
let answer: (req: IncomingMessage, res: ServerResponse) => void;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received.length = 0;
});

const OLD = `whsec_${Buffer.from('the-old-secret-of-32-bytes-long!').toString('base64')}`;
const NEW = `whsec_${Buffer.from('the-new-secret-of-32-bytes-long!').toString('base64')}`;
const local = { allowLocalHttp: true };
const event = (over: Partial<Parameters<typeof sendWebhook>[0]> = {}) => ({
  url: `${base}/hook`,
  eventId: 'msg_2ZtqE2mVHuYxSg9u',
  body: JSON.stringify({ type: 'flag.raised', data: { customerId: 'c1', flag: 'churn-risk' } }),
  secrets: [NEW, OLD],
  now: new Date(),
  ...over,
});

describe('sending a webhook (Standard Webhooks, as the receiver’s library verifies it)', () => {
  it('delivers a body the standardwebhooks library verifies with either secret during a rotation', async () => {
    answer = (_req, res) => res.writeHead(204).end();
    const result = await sendWebhook(event(), local);
    expect(result).toMatchObject({ outcome: 'delivered', status: 204 });
    const [got] = received;
    const headers = Object.fromEntries(Object.entries(got!.headers).map(([k, v]) => [k, String(v)]));
    expect(headers['webhook-id']).toBe('msg_2ZtqE2mVHuYxSg9u');
    for (const secret of [OLD, NEW]) expect(new Webhook(secret).verify(got!.body, headers)).toMatchObject({ type: 'flag.raised' });
    expect(() =>
      new Webhook(`whsec_${Buffer.from('some-other-secret-of-32-bytes!!!').toString('base64')}`).verify(got!.body, headers),
    ).toThrow();
  });

  it('keeps the webhook-id across retries, so a receiver can deduplicate', () => {
    const first = signedHeaders(event({ now: new Date('2026-11-30T10:00:00Z') }));
    const retry = signedHeaders(event({ now: new Date('2026-11-30T10:05:00Z') }));
    expect(retry['webhook-id']).toBe(first['webhook-id']);
    expect(retry['webhook-timestamp']).not.toBe(first['webhook-timestamp']);
  });

  it('retries on 5xx, 429, redirects and timeouts, and stops for good on 410', async () => {
    answer = (_req, res) => res.writeHead(503).end('busy');
    expect(await sendWebhook(event(), local)).toMatchObject({ outcome: 'retry', status: 503 });
    answer = (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    expect(await sendWebhook(event(), local)).toMatchObject({ outcome: 'retry', status: 302, reason: 'redirects are not followed' });
    expect(received).toHaveLength(2); // the redirect was not followed
    answer = (_req, res) => res.writeHead(410).end();
    expect(await sendWebhook(event(), local)).toMatchObject({ outcome: 'gone', status: 410 });
    answer = () => {}; // never answers
    const slow = await sendWebhook(event({ timeoutMs: 200 }), local);
    expect(slow).toMatchObject({ outcome: 'retry', reason: 'no answer within 200 ms' });
  });

  it('holds one deadline until the answer’s headers: a receiver trickling bytes cannot stretch it', async () => {
    const timers: NodeJS.Timeout[] = [];
    // Headers that never end: a byte every 100 ms keeps the socket busy, never idle.
    answer = (req) => {
      req.socket.write('HTTP/1.1 200 OK\r\nX-Slow: ');
      timers.push(setInterval(() => req.socket.write('0'), 100));
    };
    const trickled = await sendWebhook(event({ timeoutMs: 500 }), local);
    for (const t of timers) clearInterval(t);
    // An idle-socket timeout would never fire here: only the one deadline ends it.
    expect(trickled).toMatchObject({ outcome: 'retry', reason: 'no answer within 500 ms' });
    // A 200 whose body trickles is delivered at its status line: the body is never waited for.
    answer = (_req, res) => {
      res.writeHead(200);
      timers.push(setInterval(() => res.write('.'), 100));
    };
    // Waiting for the body (which never ends) would run into the deadline and answer retry instead.
    expect(await sendWebhook(event({ timeoutMs: 500 }), local)).toMatchObject({ outcome: 'delivered', status: 200 });
    for (const t of timers) clearInterval(t);
  });

  it('sends nothing to an address the guard refuses', async () => {
    const resolve = async () => ['10.0.0.5'];
    expect(await sendWebhook(event({ url: 'https://hooks.example.org/' }), { resolve })).toEqual({
      outcome: 'refused',
      reason: "host 'hooks.example.org' is a private, loopback, link-local or reserved address (10.0.0.5)",
    });
    expect(await sendWebhook(event())).toMatchObject({ outcome: 'refused', reason: 'must be https' });
    expect(received).toHaveLength(0);
  });
});
