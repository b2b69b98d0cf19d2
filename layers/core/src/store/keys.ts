/**
 * Single-table key layout. Every customer's data lives in one partition (`CUST#<id>`), so a
 * customer read, a history page and an erasure are each one Query. PII never appears in a key:
 * aliases are keyed by a keyed hash (see identity/pii-hasher.ts).
 *
 *   CUST#<id>    PROFILE                                     aggregates, identifiers, consent
 *   CUST#<id>    TP#<occurredAt>#<source>#<dedupeKey>        one touchpoint (sort = history order)
 *   CUST#<id>    MERGE#<at>#<mergedId>                       a merge into this customer
 *   ALIAS#<hash> ALIAS                                       lookup key -> customer id
 *   AUDIT#ERASURE <at>#<id>                                  erasure record, no PII
 *   gsi1: ORDER#<source>#<orderId> / <customerId>             a purchase, found by its order id
 */
export const PROFILE_SK = 'PROFILE';
export const ALIAS_SK = 'ALIAS';
export const TOUCHPOINT_PREFIX = 'TP#';

export const customerPk = (customerId: string) => `CUST#${customerId}`;
export const aliasPk = (aliasHash: string) => `ALIAS#${aliasHash}`;
export const touchpointSk = (occurredAt: string, source: string, dedupeKey: string) =>
  `${TOUCHPOINT_PREFIX}${normalizeInstant(occurredAt)}#${source}#${dedupeKey}`;
export const mergeSk = (at: string, mergedId: string) => `MERGE#${at}#${mergedId}`;
export const ERASURE_AUDIT_PK = 'AUDIT#ERASURE';
/** The gsi1 partition of a purchase, so an event naming only the order (a refund) finds its customer. */
export const ORDER_INDEX = 'gsi1';
export const orderIndexPk = (source: string, orderId: string) => `ORDER#${source}#${orderId}`;

/** ISO instants in UTC with milliseconds sort lexicographically in time order. */
export function normalizeInstant(iso: string): string {
  return new Date(iso).toISOString();
}
