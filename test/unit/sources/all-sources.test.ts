import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ADAPTERS, getAdapter } from '../../../layers/core/src/ingest/sources/index.js';
import { SOURCES, Touchpoint } from '../../../layers/core/src/touchpoint.js';

const SECRETS = {
  generic: `whsec_${Buffer.from('patron-all-sources-generic-key!!').toString('base64')}`,
  shopify: 'shpss_all_sources_secret',
  stripe: 'whsec_all_sources_stripe',
  zendesk: 'all_sources_zendesk_secret',
} as const;

const samples = SOURCES.flatMap((source) =>
  readdirSync(join(process.cwd(), 'events', source))
    .filter((f) => f.endsWith('.json'))
    .map((file) => [source, file] as const),
);

/** Paths of values that are undefined anywhere inside `value`. */
function undefinedPaths(value: unknown, path = '$'): string[] {
  if (value === undefined) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => undefinedPaths(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => undefinedPaths(v, `${path}.${k}`));
  }
  return [];
}

describe('every source', () => {
  it('is registered under its own name and found by getAdapter', () => {
    for (const source of SOURCES) {
      expect(ADAPTERS[source].name).toBe(source);
      expect(getAdapter(source)).toBe(ADAPTERS[source]);
    }
  });

  it('is not found under an unknown or inherited name', () => {
    expect(getAdapter('mailchimp')).toBeUndefined();
    expect(getAdapter('constructor')).toBeUndefined();
    expect(getAdapter('Shopify')).toBeUndefined();
  });

  it.each(samples)('%s/%s: signed by sign(), verifies and adapts to a valid touchpoint or is ignored', (source, file) => {
    const adapter = ADAPTERS[source];
    const rawBody = readFileSync(join(process.cwd(), 'events', source, file), 'utf8');
    const now = new Date();
    const headers = adapter.sign(rawBody, SECRETS[source], now, `evt-${source}-${file}`);

    expect(() => adapter.verify(rawBody, headers, [SECRETS[source]], now)).not.toThrow();
    const result = adapter.adapt(JSON.parse(rawBody), headers);
    if (result.kind === 'ignored') {
      expect(result.reason.length).toBeGreaterThan(0);
      return;
    }
    // An order touchpoint names no customer (ingest finds the order's), otherwise it is canonical.
    const candidate = result.kind === 'order-touchpoint' ? { ...result.touchpoint, customer: { externalId: 'x' } } : result.touchpoint;
    if (result.kind === 'order-touchpoint') expect(result.touchpoint.customer).toEqual({});
    expect(Touchpoint.safeParse(candidate).success).toBe(true);
    expect(result.touchpoint.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(result.dedupeKey.length).toBeGreaterThan(0);
    // DynamoDB refuses undefined attribute values: an adapter never leaves one behind.
    expect(undefinedPaths(result.touchpoint)).toEqual([]);
  });
});
