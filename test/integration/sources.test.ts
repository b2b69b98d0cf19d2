import type { SourceName } from '@patron/core';
import { api } from '../helpers/stack.js';
import { SHOPIFY_TOPICS, sampleFiles, sampleText } from '../helpers/samples.js';
import { deliver } from '../helpers/webhooks.js';

const SOURCES: SourceName[] = ['generic', 'shopify', 'stripe', 'zendesk'];

function headersFor(source: SourceName, file: string): Record<string, string> {
  // Invalid samples have no fixed topic: the adapter's sign() infers it from the body.
  if (source === 'shopify' && SHOPIFY_TOPICS[file]) return { 'x-shopify-topic': SHOPIFY_TOPICS[file], 'x-shopify-event-id': `it-${file}` };
  return {};
}

const deliverSample = (source: SourceName, file: string, sub = '') =>
  deliver(source, sampleText(source, file, sub), { eventId: `it-sample-${source}-${file}`, headers: headersFor(source, file) });

const expectsIgnored = (file: string) =>
  file.startsWith('unsupported-') ||
  ['orders-create-pending.json', 'ticket-status-pending.json', 'satisfaction-offered.json'].includes(file);

async function lookup(email: string) {
  return ((await (await api(`/customers?email=${encodeURIComponent(email)}`)).json()) as { customers: any[] }).customers;
}

// One describe, in order: the invalid samples first, while their identities are still unknown.
describe('every sample in events/ over HTTP', () => {
  it.each(SOURCES)('%s: invalid samples answer 422 (400 for malformed JSON) and store nothing', async (source) => {
    for (const file of sampleFiles(source, 'invalid')) {
      const res = await deliverSample(source, file, 'invalid');
      if (file === 'malformed.txt') expect(res.status).toBe(400);
      else {
        expect({ file, status: res.status }).toEqual({ file, status: 422 });
        expect(res.body.issues.length).toBeGreaterThan(0);
      }
    }
    expect(await lookup('ann@example.com')).toEqual([]);
    expect(await lookup('bob@example.org')).toEqual([]);
  });

  it.each(SOURCES)('%s: every sample is stored, or ignored when it is a type Patron does not use', async (source) => {
    for (const file of sampleFiles(source)) {
      const res = await deliverSample(source, file);
      if (expectsIgnored(file))
        expect({ file, status: res.status, ignored: res.body.ignored }).toEqual({ file, status: 202, ignored: true });
      else expect({ file, status: res.status }).toEqual({ file, status: file === 'orders-paid.json' ? 200 : 201 });
    }
  });

  it.each(SOURCES)('%s: redelivering every sample stores nothing new', async (source) => {
    for (const file of sampleFiles(source)) {
      const res = await deliverSample(source, file);
      expect({ file, status: res.status }).toEqual({ file, status: expectsIgnored(file) ? 202 : 200 });
    }
  });

  it('resolves one person across all four sources to one customer', async () => {
    const [ann, ...others] = await lookup('ann@example.com');
    expect(others).toHaveLength(0);
    expect(ann.sourceSystems).toEqual(['generic', 'shopify', 'stripe', 'zendesk']);
    expect(ann.identifiers.externalIds).toEqual(
      expect.arrayContaining(['shopify:7390112301', 'stripe:cus_PtrnAnnExample1', 'zendesk:9001001']),
    );
    expect(ann.purchaseCount).toBeGreaterThanOrEqual(2);
  });

  it('gives a Shopify refund that names only its order to the customer who placed the order', async () => {
    const [ann] = await lookup('ann@example.com');
    const refunds = await (await api(`/customers/${ann.id}/touchpoints?type=refund&limit=50`)).json();
    expect(refunds.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'shopify', data: expect.objectContaining({ orderId: '5873458724907', amountMinor: 1738 }) }),
      ]),
    );
    expect(refunds.items.every((t: any) => !('gsi1pk' in t))).toBe(true);
  });

  it('ignores a Shopify refund of an order Patron never saw (202, nothing stored)', async () => {
    const refund = JSON.parse(sampleText('shopify', 'refunds-create.json'));
    refund.order_id = 1111111111;
    const res = await deliver('shopify', refund, {
      eventId: 'it-unknown-order-refund',
      headers: { 'x-shopify-topic': 'refunds/create', 'x-shopify-event-id': 'it-unknown-order-refund' },
    });
    expect(res.status).toBe(202);
    expect(res.body.reason).toContain('order 1111111111');
  });
});
