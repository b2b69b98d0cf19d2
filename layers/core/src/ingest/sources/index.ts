import { SOURCES, type SourceName } from '../../touchpoint.js';
import { genericAdapter } from './generic.js';
import { shopifyAdapter } from './shopify.js';
import { stripeAdapter } from './stripe.js';
import { zendeskAdapter } from './zendesk.js';
import type { SourceAdapter } from './types.js';

/** One adapter per source: verify the signature, map the payload, sign like the provider. */
export const ADAPTERS: Record<SourceName, SourceAdapter> = {
  generic: genericAdapter,
  shopify: shopifyAdapter,
  stripe: stripeAdapter,
  zendesk: zendeskAdapter,
};

const isSourceName = (name: string): name is SourceName => (SOURCES as readonly string[]).includes(name);

/** The adapter for a source name taken from a URL path; undefined for anything unknown. */
export function getAdapter(name: string): SourceAdapter | undefined {
  return isSourceName(name) ? ADAPTERS[name] : undefined;
}

export { genericAdapter, shopifyAdapter, stripeAdapter, zendeskAdapter };
export { SATISFACTION_TRIGGER_BODY, SATISFACTION_TRIGGER_TYPE } from './zendesk.js';
export { decimalToMinor, inferShopifyTopic, minorUnitExponent } from './shopify.js';
export { safeEqual } from './hmac.js';
