/**
 * The words of Patron's API that a browser also needs (the console's menus and labels): plain
 * arrays with no schema library behind them, so the console's bundle can import them without zod.
 * The schemas (touchpoint.ts, offers/schema.ts, mining/types.ts) re-export them from here.
 */
export const SOURCES = ['generic', 'shopify', 'stripe', 'zendesk'] as const;
export const CONSENT_CHANNELS = ['email', 'sms', 'phone'] as const;
export const OFFER_KINDS = ['offer', 'upsell', 'cross-sell', 'retention', 'penalty', 'fee', 'collection', 'service', 'message'] as const;
export const OFFER_CHANNELS = ['email', 'sms', 'phone', 'mail', 'branch', 'in-app'] as const;
export const FLAG_TYPES = ['churn-risk', 'up-sell', 'cross-sell', 'reorder-due', 'moment', 'prospect'] as const;
export const LIFECYCLE_STAGES = ['prospect', 'first-time', 'repeat', 'loyal', 'lapsing', 'lapsed'] as const;
export const VALUE_TIERS = ['most-valuable', 'potential', 'low-value'] as const;
/** Where the console is served (the route table's `GET /console`); the build names its assets under it. */
export const CONSOLE_PATH = '/console';
