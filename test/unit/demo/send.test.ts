import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADAPTERS } from '../../../layers/core/src/ingest/sources/index.js';
import type { PendingDelivery, WebhookSecrets } from '../../../local/demo/deliveries.js';
import { classify, sendDeliveries } from '../../../local/demo/send.js';

const SECRETS: WebhookSecrets = {
  generic: `whsec_${Buffer.from('send-test-generic-key-0123456789').toString('base64')}`,
  shopify: 'send-test-shopify',
  stripe: 'whsec_sendTestStripe',
  zendesk: 'send-test-zendesk',
};

function delivery(i: number, expectType: PendingDelivery['expect']['type'] = 'web_visit'): PendingDelivery {
  const touchpoint = {
    type: 'web_visit' as const,
    occurredAt: '2026-10-01T10:00:00.000Z',
    customer: { email: `c${i}@example.com` },
    data: { url: `https://shop.example.com/p/${i}` },
  };
  return {
    source: 'generic',
    path: '/webhooks/generic',
    eventId: `msg_test${i}`,
    eventType: 'web_visit',
    body: JSON.stringify(touchpoint),
    headers: { 'user-agent': 'test' },
    expect: { type: expectType, customerKey: `c${i}` },
    touchpoint,
  };
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void | Promise<void>;

let server: Server;
let baseUrl: string;
let handler: Handler;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => void handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
});

const reply = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('sendDeliveries', () => {
  it('counts stored, duplicate, ignored and rejected answers and keeps the first error bodies', async () => {
    handler = (req, _body, res) => {
      const n = Number(String(req.headers['webhook-id']).slice(8));
      if (n % 4 === 0) return reply(res, 201, { status: 'stored' });
      if (n % 4 === 1) return reply(res, 200, { status: 'duplicate', duplicate: true });
      if (n % 4 === 2) return reply(res, 202, { status: 'ignored', ignored: true });
      return reply(res, 422, { error: 'validation_failed', message: `bad ${n}` });
    };
    const result = await sendDeliveries(
      Array.from({ length: 40 }, (_, i) => delivery(i)),
      { baseUrl, secrets: SECRETS, progress: false, keepErrors: 3 },
    );
    expect(result).toMatchObject({ sent: 40, accepted: 10, duplicates: 10, ignored: 10, rejected: 10, failed: 0, retries: 0 });
    expect(result.bySource.generic).toEqual({ accepted: 10, duplicate: 10, ignored: 10, rejected: 10, failed: 0 });
    expect(result.errors).toHaveLength(3);
    expect(result.errors[0]).toMatchObject({ source: 'generic', status: 422 });
    expect(result.errors[0]!.body).toContain('validation_failed');
    expect(result.unexpected).toBe(20); // the rejected and the unexpectedly ignored
    expect(result.elapsedMs).toBeGreaterThan(0);
  });

  it('sends bodies signed with the current time that the real adapter verifies', async () => {
    const verified: boolean[] = [];
    handler = (req, body, res) => {
      try {
        ADAPTERS.generic.verify(body, req.headers as Record<string, string>, [SECRETS.generic], new Date());
        verified.push(true);
      } catch {
        verified.push(false);
      }
      reply(res, 201, { status: 'stored' });
    };
    await sendDeliveries([delivery(1), delivery(2)], { baseUrl, secrets: SECRETS, progress: false });
    expect(verified).toEqual([true, true]);
  });

  it('retries 5xx with backoff and signs each attempt afresh', async () => {
    const timestamps: string[] = [];
    let calls = 0;
    handler = (req, _body, res) => {
      timestamps.push(String(req.headers['webhook-timestamp']));
      calls++;
      if (calls < 3) return reply(res, 503, { error: 'unavailable' });
      return reply(res, 201, { status: 'stored' });
    };
    let clock = Date.parse('2026-10-01T10:00:00Z');
    const result = await sendDeliveries([delivery(1)], {
      baseUrl,
      secrets: SECRETS,
      progress: false,
      retries: 2,
      backoffMs: 5,
      now: () => {
        clock += 1000;
        return new Date(clock);
      },
    });
    expect(result).toMatchObject({ sent: 1, accepted: 1, retries: 2, failed: 0 });
    expect(new Set(timestamps).size).toBe(3);
  });

  it('counts a delivery as failed once the retries are spent, on network errors too', async () => {
    const failingFetch = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') });
    }) as typeof fetch;
    const result = await sendDeliveries([delivery(1), delivery(2)], {
      baseUrl,
      secrets: SECRETS,
      progress: false,
      retries: 1,
      backoffMs: 1,
      fetch: failingFetch,
    });
    expect(result).toMatchObject({ sent: 2, failed: 2, retries: 2, accepted: 0 });
    expect(result.errors[0]).toMatchObject({ status: 'network' });
    expect(result.errors[0]!.body).toContain('ECONNREFUSED');
  });

  it('keeps at most the configured number of requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    handler = async (_req, _body, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 15));
      inFlight--;
      reply(res, 201, { status: 'stored' });
    };
    const result = await sendDeliveries(
      Array.from({ length: 60 }, (_, i) => delivery(i)),
      { baseUrl, secrets: SECRETS, progress: false, concurrency: 5 },
    );
    expect(result.accepted).toBe(60);
    expect(peak).toBeLessThanOrEqual(5);
    expect(peak).toBeGreaterThan(1);
  });

  it('pulls a lazy source one delivery at a time', async () => {
    handler = (_req, _body, res) => reply(res, 201, { status: 'stored' });
    let rendered = 0;
    const lazy = (function* () {
      for (let i = 0; i < 30; i++) {
        rendered++;
        yield delivery(i);
      }
    })();
    const result = await sendDeliveries(lazy, { baseUrl, secrets: SECRETS, progress: false, concurrency: 4, total: 30 });
    expect(rendered).toBe(30);
    expect(result.accepted).toBe(30);
  });

  it('prints a progress line about every 10 % when the output is not a terminal', async () => {
    handler = (_req, _body, res) => reply(res, 201, { status: 'stored' });
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    await sendDeliveries(
      Array.from({ length: 50 }, (_, i) => delivery(i)),
      { baseUrl, secrets: SECRETS, stream, label: 'hooks' },
    );
    expect(lines.length).toBeGreaterThanOrEqual(9);
    expect(lines.length).toBeLessThanOrEqual(11);
    expect(lines.at(-1)).toMatch(/^ {2}hooks: 50\/50 \(100%\) in \d+\.\d s\n$/);
  });
});

describe('classify', () => {
  it("reads the webhook handler's answers", () => {
    expect(classify(201, '{"status":"stored"}')).toBe('accepted');
    expect(classify(200, '{"status":"duplicate","duplicate":true}')).toBe('duplicate');
    expect(classify(202, '{"status":"ignored","ignored":true}')).toBe('ignored');
    expect(classify(202, 'not json')).toBe('ignored');
    expect(classify(204, '')).toBe('accepted');
    expect(classify(401, '{"error":"invalid_signature"}')).toBe('rejected');
  });
});
