import { ADAPTERS } from '../../../layers/core/src/ingest/sources/index.js';
import type { SourceName } from '../../../layers/core/src/touchpoint.js';
import { DEMO_STEPS, runDemo } from '../../../local/demo/index.js';

const ENV = {
  API_KEYS: 'demo-test-key,second-key',
  WEBHOOK_SECRET_GENERIC: `whsec_${Buffer.from('run-demo-generic-key-0123456789ab').toString('base64')}`,
  WEBHOOK_SECRET_SHOPIFY: 'run-demo-shopify',
  WEBHOOK_SECRET_STRIPE: 'whsec_runDemoStripe',
  WEBHOOK_SECRET_ZENDESK: 'run-demo-zendesk',
};
const SECRET_OF: Record<SourceName, string> = {
  generic: ENV.WEBHOOK_SECRET_GENERIC,
  shopify: ENV.WEBHOOK_SECRET_SHOPIFY,
  stripe: ENV.WEBHOOK_SECRET_STRIPE,
  zendesk: ENV.WEBHOOK_SECRET_ZENDESK,
};

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * The webhook endpoint's contract in miniature, with the real adapters: verify, adapt, dedupe
 * on the adapter's key (201 stored, 200 duplicate, 202 ignored, 401 bad signature).
 */
function fakeStack(customersApi: (email: string, apiKey: string | undefined) => Response) {
  const stored = new Set<string>();
  const calls: string[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    const headers = Object.fromEntries(
      Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    if (init?.method === 'POST' && url.pathname.startsWith('/webhooks/')) {
      const source = url.pathname.split('/')[2] as SourceName;
      const body = String(init.body);
      try {
        ADAPTERS[source].verify(body, headers, [SECRET_OF[source]], new Date());
      } catch {
        return json(401, { error: 'invalid_signature' });
      }
      const adapted = ADAPTERS[source].adapt(JSON.parse(body), headers);
      if (adapted.kind === 'ignored') return json(202, { status: 'ignored', ignored: true });
      const key = `${source}:${adapted.dedupeKey}`;
      if (stored.has(key)) return json(200, { status: 'duplicate', duplicate: true });
      stored.add(key);
      return json(201, { status: 'stored', type: adapted.touchpoint.type });
    }
    if (url.pathname === '/customers') return customersApi(url.searchParams.get('email') ?? '', headers['x-api-key']);
    return json(404, { error: 'not_found' });
  }) as typeof fetch;
  return { fetchImpl, stored, calls };
}

const CUSTOMER_360 = {
  id: 'cus-1',
  name: { first: 'Ann', last: 'Example' },
  identifiers: { emails: ['ann@example.com'], phones: [], externalIds: ['shopify:1', 'stripe:cus_1'] },
  consent: { email: { granted: true, at: '2026-01-01T00:00:00Z', source: 'generic' }, sms: null, phone: null },
  firstSeen: '2025-01-01T00:00:00.000Z',
  lastSeen: '2026-10-30T00:00:00.000Z',
  touchpointCount: 42,
  purchaseCount: 12,
  revenue: [{ currency: 'EUR', amountMinor: 123456 }],
  averageOrderValue: [{ currency: 'EUR', amountMinor: 10288 }],
  refunds: { count: 1, amounts: [{ currency: 'EUR', amountMinor: 1290 }] },
  categories: { coffee: 10, kitchen: 4, tea: 1 },
  activeSubscriptions: [{ subscriptionId: 'sub_1', productId: 'prod_1' }],
  complaints: 0,
  averageSatisfaction: 4.5,
  ratingsCount: 2,
  paymentFailures: 0,
  sourceSystems: ['generic', 'shopify', 'stripe', 'zendesk'],
};

describe('runDemo', () => {
  it('generates, sends every delivery through the adapters, redelivers a few and shows a 360', async () => {
    let askedWith: [string, string | undefined] | undefined;
    const stack = fakeStack((email, key) => {
      askedWith ??= [email, key]; // the showcase asks first; the offer checks look up more customers later
      return json(200, { customers: [CUSTOMER_360] });
    });
    const lines: string[] = [];

    const result = await runDemo({
      baseUrl: 'http://demo.test/',
      env: ENV,
      seed: 5,
      customers: 60,
      asOf: new Date('2026-11-01T00:00:00Z'),
      log: (l) => lines.push(l),
      progress: false,
      fetch: stack.fetchImpl,
    });

    expect(result.customers).toBe(60);
    expect(result.volume).toBe(1);
    const deliveries = Object.values(result.deliveriesBySource).reduce((a, b) => a + b, 0);
    expect(deliveries).toBe(result.touchpoints);
    expect(result.send).toMatchObject({ sent: deliveries, accepted: deliveries, duplicates: 0, ignored: 0, rejected: 0, failed: 0 });
    expect(result.redelivery!.sent).toBeGreaterThanOrEqual(4);
    expect(result.redelivery).toMatchObject({ duplicates: result.redelivery!.sent, accepted: 0, rejected: 0 });
    expect(stack.stored.size).toBe(deliveries);
    expect(result.touchpointsPerSecond).toBeGreaterThan(0);
    expect(askedWith).toEqual([result.showcase!.email, 'demo-test-key']);
    expect(result.showcase!.latentType).toBe('loyal_big_spender');

    const out = lines.join('\n');
    expect(out).toMatch(/60 synthetic customers \(seed 5\)/);
    expect(out).toMatch(/loyal big spenders +\d+ customers/);
    expect(out).toMatch(/deliveries by source: generic \d+ · shopify \d+ · stripe \d+ · zendesk \d+/);
    expect(out).toMatch(/touchpoints\/s/);
    expect(out).toMatch(/recognised as duplicates/);
    expect(out).toContain('12 purchases, revenue 1234.56 EUR');
    // This fake stack has no offers API: the last step says so instead of failing the demo.
    expect(out).toMatch(/warning: the offer checks did not all run: GET \/customers\/cus-1\/offers answered 404/);
    expect(result.offerChecks?.stories).toEqual([]);
  }, 60_000);

  it('prints a warning instead of failing when the customers API does not answer', async () => {
    const stack = fakeStack(() => json(500, { error: 'internal' }));
    const lines: string[] = [];
    const result = await runDemo({
      baseUrl: 'http://demo.test',
      env: ENV,
      seed: 5,
      customers: 20,
      asOf: new Date('2026-11-01T00:00:00Z'),
      log: (l) => lines.push(l),
      progress: false,
      fetch: stack.fetchImpl,
    });
    expect(result.showcase?.warning).toMatch(/500/);
    expect(lines.some((l) => l.startsWith('warning: could not show a customer 360'))).toBe(true);
  }, 60_000);

  it('takes the number of customers and the volume from PATRON_DEMO_CUSTOMERS and PATRON_DEMO_VOLUME when not given', async () => {
    const saved = { customers: process.env.PATRON_DEMO_CUSTOMERS, volume: process.env.PATRON_DEMO_VOLUME };
    const lines: string[] = [];
    const run = () =>
      runDemo({
        baseUrl: 'http://demo.test',
        env: ENV,
        seed: 5,
        asOf: new Date('2026-11-01T00:00:00Z'),
        log: (l) => lines.push(l),
        progress: false,
        fetch: fakeStack(() => json(200, { customers: [CUSTOMER_360] })).fetchImpl,
      });
    try {
      process.env.PATRON_DEMO_CUSTOMERS = '15';
      process.env.PATRON_DEMO_VOLUME = '2.5';
      const result = await run();
      expect(result).toMatchObject({ customers: 15, volume: 2.5 });
      expect(lines[0]).toMatch(/15 synthetic customers \(seed 5, volume 2\.5\)/);
      process.env.PATRON_DEMO_CUSTOMERS = 'many';
      await expect(run()).rejects.toThrow(/PATRON_DEMO_CUSTOMERS must be a positive integer, got "many"/);
    } finally {
      for (const [name, value] of [
        ['PATRON_DEMO_CUSTOMERS', saved.customers],
        ['PATRON_DEMO_VOLUME', saved.volume],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }, 60_000);

  it('runs its steps from one exported list: the receiver subscribed before mining, the offer checks, the campaign, then the playbooks', () => {
    expect(DEMO_STEPS.map((s) => s.name)).toEqual([
      'generate',
      'send',
      'redeliver',
      'showcase',
      'subscribe',
      'mining',
      'offer-checks',
      'campaign',
      'playbooks',
    ]);
  });
});
