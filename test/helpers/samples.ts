import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceName } from '@patron/core';

export const EVENTS_DIR = join(process.cwd(), 'events');

/** Shopify names the topic in a header, not the body: the topic each sample is delivered under. */
export const SHOPIFY_TOPICS: Record<string, string> = {
  'orders-create.json': 'orders/create',
  'orders-paid.json': 'orders/paid',
  'orders-paid-jpy.json': 'orders/paid',
  'orders-create-pending.json': 'orders/create',
  'refunds-create.json': 'refunds/create',
  'customers-create.json': 'customers/create',
  'customers-update.json': 'customers/update',
  'customers-email-marketing-consent-update.json': 'customers_email_marketing_consent/update',
  'customers-marketing-consent-update.json': 'customers_marketing_consent/update',
  'unsupported-orders-cancelled.json': 'orders/cancelled',
};

export function sampleFiles(source: SourceName, sub = ''): string[] {
  return readdirSync(join(EVENTS_DIR, source, sub))
    .filter((f) => f.endsWith('.json') || f.endsWith('.txt'))
    .sort();
}

/** The raw text of a sample, exactly as stored (signatures are computed over these bytes). */
export function sampleText(source: SourceName, file: string, sub = ''): string {
  return readFileSync(join(EVENTS_DIR, source, sub, file), 'utf8');
}
