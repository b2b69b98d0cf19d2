import type { SourceName, Touchpoint } from '../../touchpoint.js';

export type Headers = Record<string, string | undefined>;

/** What an adapter makes of one verified, parsed delivery. */
export type Adapted =
  | {
      kind: 'touchpoint';
      /** The provider's event type, for logs and metrics (e.g. `orders/paid`). */
      eventType: string;
      /**
       * Idempotency key within the source. Usually the provider's event id; an adapter may
       * choose a business key instead when two event types describe one fact (Shopify's
       * orders/create and orders/paid are the same purchase).
       */
      dedupeKey: string;
      touchpoint: Touchpoint;
      /** An order id to index, so later events that name only the order find its customer. */
      indexOrderId?: string;
    }
  | {
      /**
       * A touchpoint whose payload names no customer, only an order (Shopify refunds): it belongs
       * to whoever placed that order, found through the order index. `touchpoint.customer` is empty.
       */
      kind: 'order-touchpoint';
      eventType: string;
      dedupeKey: string;
      orderId: string;
      touchpoint: Touchpoint;
    }
  | { kind: 'ignored'; eventType: string; reason: string };

export interface SourceAdapter {
  readonly name: SourceName;
  /**
   * Checks the provider's signature on the raw body, constant-time, before anything parses it.
   * `secrets` holds every accepted secret (rotation). Throws SignatureError.
   */
  verify(rawBody: string, headers: Headers, secrets: readonly string[], now: Date): void;
  /** Maps the provider's payload to the canonical touchpoint. Throws ValidationError (422). */
  adapt(payload: unknown, headers: Headers): Adapted;
  /**
   * Produces the headers a genuine provider would send for this body: used by the demo,
   * the benchmark and tests so that every delivery goes through the real verifier.
   */
  sign(rawBody: string, secret: string, now: Date, eventId: string): Headers;
}
