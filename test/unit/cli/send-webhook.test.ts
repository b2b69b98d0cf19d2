/**
 * `patron send-webhook`: argument parsing, and signatures checked by each provider's own library
 * (stripe, standardwebhooks) or, where the provider ships none for Node, by its documented HMAC
 * scheme recomputed here with node:crypto.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { DEV_WEBHOOK_SECRETS } from '../../../cli/dev-secrets.js';
import { memoryIo } from '../../../cli/io.js';
import { main } from '../../../cli/patron.js';
import {
  DEFAULT_URL,
  parseSendWebhookArgs,
  shopifyTopicFromFileName,
  signedRequest,
  type SendWebhookDeps,
} from '../../../cli/send-webhook.js';
import { ADAPTERS } from '../../../layers/core/src/ingest/sources/index.js';

const EVENTS = path.join(process.cwd(), 'events');
const sample = (source: string, file: string) => path.join(EVENTS, source, file);
const hmacBase64 = (key: string, text: string) => createHmac('sha256', key).update(text).digest('base64');

const parseOk = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseSendWebhookArgs(argv, env);
  if (parsed === 'help') throw new Error('expected options, got help');
  return parsed;
};

/** Runs the command with a fake fetch that records the request and answers `status`. */
async function run(argv: string[], answer: { status: number; body: string } | Error = { status: 201, body: '{"status":"stored"}' }) {
  const io = memoryIo();
  const requests: { url: string; init: RequestInit }[] = [];
  const fakeFetch = (async (url: string, init: RequestInit) => {
    requests.push({ url, init });
    if (answer instanceof Error) throw answer;
    return new Response(answer.body, { status: answer.status });
  }) as unknown as typeof fetch;
  const deps: SendWebhookDeps = { env: {}, fetch: fakeFetch };
  const code = await main(['send-webhook', ...argv], io, deps);
  return { code, out: io.out(), err: io.err(), requests };
}

describe('patron send-webhook: arguments', () => {
  it('defaults to localhost:3000, the dev secret and a fresh event id', () => {
    const o = parseOk(['--source', 'stripe', '--event', 'x.json']);
    expect(o).toMatchObject({
      source: 'stripe',
      file: 'x.json',
      url: DEFAULT_URL,
      secret: DEV_WEBHOOK_SECRETS.stripe,
      secretOrigin: 'dev',
    });
    expect(o.eventId).toBeUndefined();
    expect(o.dryRun).toBe(false);
  });

  it('takes the secret from --secret, else the first of $WEBHOOK_SECRET_<SOURCE>, else the dev default', () => {
    const env = { WEBHOOK_SECRET_ZENDESK: ' new-secret , old-secret', WEBHOOK_SECRET_STRIPE: 'other' };
    expect(parseOk(['--source', 'zendesk', '--event', 'f'], env)).toMatchObject({ secret: 'new-secret', secretOrigin: 'env' });
    expect(parseOk(['--source', 'zendesk', '--event', 'f', '--secret', 'mine'], env)).toMatchObject({
      secret: 'mine',
      secretOrigin: 'option',
    });
    expect(parseOk(['--source', 'shopify', '--event', 'f'], env)).toMatchObject({
      secret: DEV_WEBHOOK_SECRETS.shopify,
      secretOrigin: 'dev',
    });
  });

  it('normalizes --url (a trailing slash would make //webhooks) and keeps --event-id and --topic', () => {
    const o = parseOk([
      '--source',
      'shopify',
      '--event',
      'f',
      '--url',
      'http://127.0.0.1:4000/',
      '--event-id',
      'e-1',
      '--topic',
      'orders/paid',
    ]);
    expect(o).toMatchObject({ url: 'http://127.0.0.1:4000', eventId: 'e-1', topic: 'orders/paid' });
  });

  it.each([
    [[], 'missing --source'],
    [['--source', 'stripe'], 'missing --event'],
    [['--source', 'paypal', '--event', 'f'], '--source must be one of generic, shopify, stripe, zendesk'],
    [['--source', 'stripe', '--event', 'f', '--url', 'localhost:3000'], '--url must be an http(s) URL'],
    [['--source', 'stripe', '--event', 'f', '--url', 'not a url'], '--url must be an http(s) URL'],
    [['--source', 'stripe', '--event', 'f', '--topic', 'orders/paid'], '--topic is for --source shopify only'],
    [['--source', 'stripe', '--event', 'f', '--secrte', 's'], "unknown option '--secrte' (did you mean --secret?)"],
    [['--source', 'stripe', '--event'], "Option '--event <value>' argument missing"],
  ])('exits 2 with a message and the synopsis for %j', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`patron: ${message}`);
    expect(r.err).toContain('Usage: patron send-webhook');
    expect(r.err).toContain('(patron send-webhook --help lists every option)');
    expect(r.requests).toHaveLength(0);
  });

  it('prints its usage for --help and for patron help send-webhook', async () => {
    for (const argv of [
      ['send-webhook', '--help'],
      ['help', 'send-webhook'],
    ]) {
      const io = memoryIo();
      expect(await main(argv, io)).toBe(0);
      expect(io.out()).toMatch(/^Usage: patron send-webhook --source generic\|shopify\|stripe\|zendesk --event FILE/);
      expect(io.out()).toContain('--event-id ID');
    }
  });

  it('reads a Shopify topic off a sample file name, and nothing off other names', () => {
    expect(shopifyTopicFromFileName('events/shopify/orders-create.json')).toBe('orders/create');
    expect(shopifyTopicFromFileName('customers-email-marketing-consent-update.json')).toBe('customers_email_marketing_consent/update');
    expect(shopifyTopicFromFileName('customers-marketing-consent-update.json')).toBe('customers_marketing_consent/update');
    expect(shopifyTopicFromFileName('unsupported-orders-cancelled.json')).toBe('orders/cancelled');
    expect(shopifyTopicFromFileName('orders-paid-jpy.json')).toBeUndefined();
    expect(shopifyTopicFromFileName('my-order.json')).toBeUndefined();
  });
});

describe('patron send-webhook: signatures the providers would accept', () => {
  const now = new Date();
  const base = { url: 'http://localhost:3000', topic: undefined };

  it('generic: verified by the standardwebhooks library, webhook-id is the event id', () => {
    const body = '{"type":"web_visit","occurredAt":"2025-01-01T00:00:00Z"}';
    const req = signedRequest({ ...base, source: 'generic', file: 'f.json', secret: DEV_WEBHOOK_SECRETS.generic }, body, now, 'msg_abc');
    expect(req.url).toBe('http://localhost:3000/webhooks/generic');
    expect(req.headers['webhook-id']).toBe('msg_abc');
    expect(() => new Webhook(DEV_WEBHOOK_SECRETS.generic).verify(body, req.headers)).not.toThrow();
    expect(() => new Webhook(DEV_WEBHOOK_SECRETS.generic).verify(`${body} `, req.headers)).toThrow();
  });

  it('stripe: verified by the Stripe SDK (webhooks.constructEvent), within its 300 s tolerance', () => {
    const body = '{"id":"evt_1","object":"event","type":"charge.succeeded"}';
    const req = signedRequest({ ...base, source: 'stripe', file: 'f.json', secret: DEV_WEBHOOK_SECRETS.stripe }, body, now, 'ignored');
    const stripe = new Stripe('sk_test_unused');
    expect(stripe.webhooks.constructEvent(body, req.headers['stripe-signature']!, DEV_WEBHOOK_SECRETS.stripe)).toMatchObject({
      id: 'evt_1',
    });
    expect(() => stripe.webhooks.constructEvent(body, req.headers['stripe-signature']!, 'whsec_wrong')).toThrow();
  });

  it('shopify: X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body; topic and event id headers set', () => {
    const body = '{"id":1,"line_items":[],"financial_status":"paid"}';
    const secret = 'shpss_test';
    const req = signedRequest({ ...base, source: 'shopify', file: 'orders-create.json', secret }, body, now, 'evt-9');
    expect(req.headers['x-shopify-hmac-sha256']).toBe(hmacBase64(secret, body));
    // The file name wins over the adapter's guess from the body (which would say orders/paid).
    expect(req.headers['x-shopify-topic']).toBe('orders/create');
    expect(req.headers['x-shopify-event-id']).toBe('evt-9');
    expect(req.headers['content-type']).toBe('application/json');
  });

  it('shopify: --topic wins, the body is the fallback, and no topic at all is a usage error', () => {
    const body = '{"id":1,"line_items":[],"financial_status":"paid"}';
    const sign = (file: string, topic?: string, raw = body) =>
      signedRequest({ ...base, source: 'shopify', file, secret: 's', topic }, raw, now, 'e');
    expect(sign('orders-create.json', 'orders/updated').headers['x-shopify-topic']).toBe('orders/updated');
    expect(sign('mine.json').headers['x-shopify-topic']).toBe('orders/paid');
    expect(() => sign('mine.json', undefined, '{"unknown":true}')).toThrow(/cannot tell the Shopify topic of mine\.json/);
  });

  it('zendesk: the signature is base64 HMAC-SHA256 of the timestamp header + body; invocation id is the event id', () => {
    const body = '{"id":"z-1","type":"zen:event-type:ticket.created"}';
    const secret = DEV_WEBHOOK_SECRETS.zendesk;
    const req = signedRequest({ ...base, source: 'zendesk', file: 'f.json', secret }, body, now, 'inv-1');
    const timestamp = req.headers['x-zendesk-webhook-signature-timestamp']!;
    expect(Math.abs(Date.parse(timestamp) - now.getTime())).toBeLessThan(1000);
    expect(req.headers['x-zendesk-webhook-signature']).toBe(hmacBase64(secret, timestamp + body));
    expect(req.headers['x-zendesk-webhook-invocation-id']).toBe('inv-1');
  });

  it.each([
    ['generic', 'purchase.json'],
    ['shopify', 'orders-paid.json'],
    ['stripe', 'charge-succeeded.json'],
    ['zendesk', 'ticket-created.json'],
  ] as const)("%s: the adapter's own verifier accepts the signed %s", (source, file) => {
    const body = readFileSync(sample(source, file), 'utf8');
    const secret = DEV_WEBHOOK_SECRETS[source];
    const req = signedRequest({ ...base, source, file, secret }, body, now, 'e-1');
    expect(() => ADAPTERS[source].verify(body, req.headers, [secret], now)).not.toThrow();
    expect(() => ADAPTERS[source].verify(`${body} `, req.headers, [secret], now)).toThrow();
  });
});

describe('patron send-webhook: the request and the answer', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'patron-send-'));
  const file = path.join(dir, 'purchase.json');
  const body = '{ "type": "purchase" }\n';
  writeFileSync(file, body);

  it('POSTs the file byte for byte to URL/webhooks/SOURCE, prints status and body, exits 0 on 2xx', async () => {
    const r = await run(['--source', 'generic', '--event', file, '--url', 'http://127.0.0.1:9/', '--event-id', 'msg_fixed']);
    expect(r.code).toBe(0);
    expect(r.requests).toHaveLength(1);
    const [{ url, init }] = r.requests as [{ url: string; init: RequestInit }];
    expect(url).toBe('http://127.0.0.1:9/webhooks/generic');
    expect(init.method).toBe('POST');
    expect(init.body).toBe(body);
    const headers = init.headers as Record<string, string>;
    expect(headers['webhook-id']).toBe('msg_fixed');
    expect(() => new Webhook(DEV_WEBHOOK_SECRETS.generic).verify(body, headers)).not.toThrow();
    expect(r.out).toBe('201 Created\n{"status":"stored"}\n');
    expect(r.err).toContain("signed with the dev secret of 'npm start'");
  });

  it('makes a fresh event id on every run unless --event-id is given', async () => {
    const a = await run(['--source', 'generic', '--event', file]);
    const b = await run(['--source', 'generic', '--event', file]);
    const id = (x: typeof a) => (x.requests[0]!.init.headers as Record<string, string>)['webhook-id'];
    expect(id(a)).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(id(a)).not.toBe(id(b));
  });

  it('exits 1 on a non-2xx answer and still prints it', async () => {
    const r = await run(['--source', 'generic', '--event', file], { status: 401, body: '{"error":"unauthorized"}' });
    expect(r.code).toBe(1);
    expect(r.out).toBe('401 Unauthorized\n{"error":"unauthorized"}\n');
  });

  it('exits 1 with one line when Patron cannot be reached', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const r = await run(['--source', 'generic', '--event', file], refused);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`patron: cannot reach ${DEFAULT_URL}: ECONNREFUSED (is 'npm start' running?)`);
  });

  it('exits 1 for a missing or non-JSON file, before sending anything', async () => {
    const notJson = path.join(dir, 'bad.json');
    writeFileSync(notJson, '{"truncated": ');
    const missing = await run(['--source', 'stripe', '--event', path.join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no such file or directory');
    const bad = await run(['--source', 'stripe', '--event', notJson]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${notJson}: not JSON`);
    expect([...missing.requests, ...bad.requests]).toHaveLength(0);
  });

  it('--dry-run prints the request line and headers and sends nothing', async () => {
    const r = await run(['--source', 'shopify', '--event', sample('shopify', 'orders-paid.json'), '--dry-run', '--event-id', 'e-7']);
    expect(r.code).toBe(0);
    expect(r.requests).toHaveLength(0);
    expect(r.out).toMatch(/^POST http:\/\/localhost:3000\/webhooks\/shopify\n/);
    expect(r.out).toContain('x-shopify-topic: orders/paid\n');
    expect(r.out).toContain('x-shopify-event-id: e-7\n');
  });
});
