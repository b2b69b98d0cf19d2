import { randomUUID } from 'node:crypto';
import { ADAPTERS, type SourceName } from '@patron/core';
import { stackInfo } from './stack.js';

export interface DeliveryResponse {
  status: number;
  body: Record<string, any>;
}

const secretFor = (source: SourceName) => {
  const names: Record<SourceName, string> = {
    generic: 'WEBHOOK_SECRET_GENERIC',
    shopify: 'WEBHOOK_SECRET_SHOPIFY',
    stripe: 'WEBHOOK_SECRET_STRIPE',
    zendesk: 'WEBHOOK_SECRET_ZENDESK',
  };
  const value = stackInfo().env[names[source]];
  if (!value) throw new Error(`stack env lacks ${names[source]}`);
  return value.split(',')[0]!;
};

/** Signs a body the way the provider would (through the adapter's own `sign`) and POSTs it. */
export async function deliver(
  source: SourceName | string,
  body: unknown,
  opts: { eventId?: string; now?: Date; secret?: string; headers?: Record<string, string>; unsigned?: boolean } = {},
): Promise<DeliveryResponse> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const adapter = ADAPTERS[source as SourceName];
  const signed =
    adapter && !opts.unsigned
      ? adapter.sign(raw, opts.secret ?? secretFor(source as SourceName), opts.now ?? new Date(), opts.eventId ?? `evt_${randomUUID()}`)
      : {};
  const res = await fetch(`${stackInfo().baseUrl}/webhooks/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signed as Record<string, string>), ...opts.headers },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

export const uniqueEmail = (tag = 'it') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

/** A canonical (generic source) touchpoint. */
export function genericTouchpoint(
  type: string,
  customer: Record<string, string>,
  data: Record<string, unknown>,
  occurredAt = new Date().toISOString(),
) {
  return { type, occurredAt, customer, data };
}

export function purchase(customer: Record<string, string>, totalMinor: number, occurredAt?: string, category = 'coffee') {
  return genericTouchpoint(
    'purchase',
    customer,
    {
      orderId: `o-${randomUUID().slice(0, 8)}`,
      currency: 'EUR',
      totalMinor,
      items: [{ sku: `SKU-${category}`, productId: `prod-${category}`, category, quantity: 1, unitPriceMinor: totalMinor }],
    },
    occurredAt,
  );
}
