/**
 * Development-only secrets for the embedded runtime. These values are public (they are in git):
 * they exist so that `npm start`, the demo and the integration tests work out of the box. A value
 * already present in the environment wins, so anyone can run locally with their own.
 *
 * In AWS the same variables hold Secrets Manager ARNs (see layers/core/src/config.ts).
 */
import { ENV } from '../layers/core/src/config.js';

/** The API key that `x-api-key` must carry locally. */
export const DEV_API_KEY = 'patron-dev-key';
/** A second dev key with only the `read` scope, to try (and test) scoped keys. */
export const DEV_READ_ONLY_API_KEY = 'patron-dev-read-key';

/** Standard Webhooks secret: `whsec_` + base64 of the key bytes. */
export const DEV_WEBHOOK_SECRET_GENERIC = `whsec_${Buffer.from('patron-dev-generic-webhook-key-32b').toString('base64')}`;
/** Shopify signs with the app's client secret (HMAC-SHA256, base64). */
export const DEV_WEBHOOK_SECRET_SHOPIFY = 'patron-dev-shopify-app-secret';
/** Stripe endpoint secrets look like `whsec_...` and are used as-is (not base64-decoded). */
export const DEV_WEBHOOK_SECRET_STRIPE = 'whsec_patronDevStripeEndpointSecret0001';
/** Zendesk webhook signing secret (HMAC-SHA256 over timestamp + body, base64). */
export const DEV_WEBHOOK_SECRET_ZENDESK = 'patron-dev-zendesk-signing-secret';
/** Key of the keyed hash that pseudonymizes PII in indexes (at least 16 characters). */
export const DEV_PII_HASH_KEY = 'patron-dev-pii-hash-key-not-for-production';

/** Env var name -> dev default. */
export const DEV_SECRETS: Readonly<Record<string, string>> = {
  [ENV.apiKeys]: `${DEV_API_KEY},dev-reader:read:${DEV_READ_ONLY_API_KEY}`,
  [ENV.webhookSecret.generic]: DEV_WEBHOOK_SECRET_GENERIC,
  [ENV.webhookSecret.shopify]: DEV_WEBHOOK_SECRET_SHOPIFY,
  [ENV.webhookSecret.stripe]: DEV_WEBHOOK_SECRET_STRIPE,
  [ENV.webhookSecret.zendesk]: DEV_WEBHOOK_SECRET_ZENDESK,
  [ENV.piiHashKey]: DEV_PII_HASH_KEY,
};

export interface ResolvedSecrets {
  /** Env var name -> the value the functions will see. */
  values: Record<string, string>;
  /** Names whose value came from the environment rather than the dev defaults. */
  overridden: string[];
}

/** The dev defaults with every non-empty value already in `env` taking precedence. */
export function resolveDevSecrets(env: Record<string, string | undefined> = process.env): ResolvedSecrets {
  const values: Record<string, string> = {};
  const overridden: string[] = [];
  for (const [name, fallback] of Object.entries(DEV_SECRETS)) {
    const own = env[name];
    if (own !== undefined && own !== '') {
      values[name] = own;
      overridden.push(name);
    } else {
      values[name] = fallback;
    }
  }
  return { values, overridden };
}

/** The first API key (the one to put in `x-api-key`), given the resolved API_KEYS value. */
export function firstApiKey(apiKeys: string): string | undefined {
  // A plain entry (every scope), not a digest and not a named, scoped key.
  return apiKeys
    .split(',')
    .map((k) => k.trim())
    .find((k) => k && !k.includes(':'));
}
