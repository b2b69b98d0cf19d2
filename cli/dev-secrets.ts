/**
 * The dev secrets `npm start` uses, per source, as `patron send-webhook` needs them to sign for a
 * local stack. They live in local/dev-config.ts (public, dev only); this only indexes them by source.
 */
import {
  DEV_API_KEY,
  DEV_WEBHOOK_SECRET_GENERIC,
  DEV_WEBHOOK_SECRET_SHOPIFY,
  DEV_WEBHOOK_SECRET_STRIPE,
  DEV_WEBHOOK_SECRET_ZENDESK,
} from '../local/dev-config.js';
import type { SourceName } from '../layers/core/src/touchpoint.js';

export const DEV_WEBHOOK_SECRETS: Readonly<Record<SourceName, string>> = {
  generic: DEV_WEBHOOK_SECRET_GENERIC,
  shopify: DEV_WEBHOOK_SECRET_SHOPIFY,
  stripe: DEV_WEBHOOK_SECRET_STRIPE,
  zendesk: DEV_WEBHOOK_SECRET_ZENDESK,
};

export { DEV_API_KEY };
