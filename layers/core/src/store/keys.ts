/**
 * The table schema: every entity of the single table, and the only place key strings are built
 * or parsed (test/unit/core/table-schema.test.ts fails on a key literal anywhere else). The
 * stored format is fixed: changing a string here needs a data migration.
 *
 * Every customer's data lives in one partition, so a customer read, a history page, an offer
 * check's snapshot and an erasure are each one Query. PII never appears in a key: aliases are
 * keyed by a keyed hash (see identity/pii-hasher.ts). TTL is the `expiresAt` attribute (epoch s).
 * An event marker makes a provider event idempotent whatever else a redelivery changes: its key
 * `<k>` is `event:<eventId>`, or `order:<orderId>` for purchases (one order is one purchase,
 * whatever topics announce it). It holds only opaque ids (customer id, touchpoint sort key), no PII.
 * A parked refund is a refund that arrived before its order: applied when the order is stored.
 * An offer registered with an Idempotency-Key keeps the key's hash (`idempotencyKeyHash`), so an
 * erasure finds and deletes the key's record along with the offer's pointer and audit trail.
 *
 * | entity          | pk                 | sk                                   | gsi1pk                   | gsi1sk            | TTL      | written by
 * |-----------------|--------------------|--------------------------------------|--------------------------|-------------------|----------|------------------------------------------------------
 * | profile         | CUST#<id>          | PROFILE                              |                          |                   |          | CustomerStore: createCustomer, writeTouchpoint,
 * |                 |                    |                                      |                          |                   |          |   applyConsent, commitMerge, markErased (erasure fence)
 * | merge redirect  | CUST#<loserId>     | PROFILE (mergedInto, no PII)         |                          |                   |          | CustomerStore.finishMerge
 * | touchpoint      | CUST#<id>          | TP#<occurredAt>#<source>#<dedupeKey> | ORDER#<source>#<orderId> | <id when written> |          | CustomerStore: writeTouchpoint, moveTouchpoints
 * |                 |                    |                                      | (purchases only)         |                   |          |
 * | merge record    | CUST#<survivorId>  | MERGE#<at>#<mergedId>                |                          |                   |          | CustomerStore.commitMerge
 * | flag            | CUST#<id>          | FLAG#<type>                          | FLAGS#<runId>#<type>     | <score:6dp>#<id>  | flagTtl  | MiningStore.writeResults
 * | mining scores   | CUST#<id>          | MINING (flagTypes: the run's flag    | CUSTOMERS#<runId>        | <clvMinor:16>#<id>|          | MiningStore.writeResults (gsi1 since the browse route;
 * |                 |                    |   types for the customer)            |                          |                   |          |   items of earlier runs have none until the next run)
 * | offer           | CUST#<id>          | OFFER#<offerId>                      |                          |                   |          | OfferStore: register, transition, moveOffers
 * | offer ledger    | CUST#<id>          | OFFERS (version)                     |                          |                   |          | OfferStore: register, transition, moveOffers
 * | offer pointer   | OFFER#<offerId>    | OFFER (customerId)                   |                          |                   |          | OfferStore: register, moveOffers
 * | offer audit     | OFFER#<offerId>    | AUDIT#<at>#<ulid>                    |                          |                   |          | OfferStore: register, transition
 * | idempotency key | IDEMPOTENCY#<hash> | OFFER                                |                          |                   | 24 h     | OfferStore.register
 * | event marker    | EVENT#<source>#<k> | EVENT (customerId, touchpointSk)     |                          |                   | 90 days  | CustomerStore.writeTouchpoint (same transaction)
 * | parked refund   | PARKED#<source>#   | REFUND#<eventId> (the refund         |                          |                   | 7 days   | CustomerStore: parkTouchpoint, unparkTouchpoint
 * |                 |   <orderId>        |   touchpoint, no customer)           |                          |                   |          |
 * | alias           | ALIAS#<hash>       | ALIAS                                |                          |                   | erased:  | CustomerStore: createCustomer, claimAlias,
 * |                 |                    |                                      |                          |                   | 30 days  |   repointAliases, tombstoneAliases
 * | erasure audit   | AUDIT#ERASURE      | <erasedAt>#<customerId>              |                          |                   |          | CustomerStore.putErasureAudit
 * | mining run      | RUN#<runId>        | RUN                                  | MINING_RUNS              | <createdAt>#<id>  |          | MiningStore: createRun (gsi1 since the runs list;
 * |                 |                    |                                      |                          |                   |          |   earlier runs are not listed), markShard, advance, ...
 * | latest runs     | RUN#LATEST         | RUN                                  |                          |                   |          | MiningStore: publishLatest, failRun
 * | health probe    | HEALTH             | HEALTH (read, never written)         |                          |                   |          | none (CustomerStore.ping reads it)
 * | source hour     | SOURCE#<source>    | HOUR#<yyyy-mm-ddThh> (delivery       |                          |                   | 8 days   | SourceStatsStore.flush (one UpdateItem: ADD counts,
 * |                 |                    |   counts, lastDeliveryAt)            |                          |                   |          |   SET last times; coalesced per container, ingest/source-activity.ts)
 * | source last     | SOURCE#<source>    | LAST_DELIVERY (lastDeliveryAt,       |                          |                   |          | SourceStatsStore.flush (at most once an hour per container
 * |                 |                    |   lastRejectedAt)                    |                          |                   |          |   and source), so a silence longer than the buckets' TTL is still known
 * | campaign        | CAMPAIGN#<id>      | CAMPAIGN                             | CAMPAIGNS                | <createdAt>#<id>  |          | CampaignStore: putCampaign, endCampaign
 * | assignment      | CUST#<id>          | ASSIGN#<campaignId> (group,          | ASSIGNMENTS#<campaignId> | <group>#<id>      |          | CampaignStore: assign (conditional: first write wins),
 * |                 |                    |   assignedAt, conversions; no PII)   |                          |                   |          |   markContacted, creditPurchase, applyRefund, moveAssignments
 * | anonymous       | CAMPAIGN#<id>      | ANON#<ulid> (group, segment,         | ASSIGNMENTS#<campaignId> | <group>#~<ulid>   |          | CampaignStore.anonymizeAssignments (erasure)
 * |   assignment    |                    |   converted, revenue; no customer)   |                          |                   |          |
 * | subscription    | SUB#<id>           | SUB (url, events, secrets, status)   | SUBSCRIPTIONS            | <createdAt>#<id>  |          | OutboundStore: putSubscription, patch, rotate, disable
 * | delivery        | SUB#<id>           | DELIVERY#<eventId> (payload, status, | DELIVERIES#<id>          | <createdAt>#<evt> | 30 days  | OutboundStore: createDelivery (conditional: once per
 * |                 |                    |   attempts, next try, last error)    |                          |                   |          |   event and subscription), claimAttempt, recordOutcome
 * | delivery lease  | SUB#<id>           | LEASE#<slot> (leaseUntil)            |                          |                   | 1 day    | OutboundStore.acquireLease (per-endpoint concurrency)
 * | counter         | COUNT              | SUBSCRIPTIONS, PLAYBOOKS (count)     |                          |                   |          | putCounted / deleteCounted (with the item, one transaction)
 * | playbook        | PLAYBOOK#<id>      | PLAYBOOK                             | PLAYBOOKS                | <createdAt>#<id>  |          | PlaybookStore: put, replace, markFlagRunEnrolled, markDateScan
 * | enrollment      | CUST#<id>          | ENROLL#<playbookId> (anchor, fired   | PLAYBOOK_DUE#<0..7>      | <dueAt>#<cust>#   |          | PlaybookStore: enroll (conditional), recordStep
 * |                 |                    |   steps, offers; no PII)             | (only while steps remain)|   <playbookId>    |          |
 *
 * A campaign's control-group assignment lives in the customer's partition, so an erasure (which
 * deletes the partition) removes it and an offer check reads it with the rest of the state. The
 * index lists a campaign's assignments for its results; an erasure first leaves an anonymous copy
 * (group, segment, outcome, revenue: no customer, no order) so the campaign's counts survive it.
 *
 * Sort order inside a customer partition: ASSIGN# < ENROLL# < FLAG# < MERGE# < MINING < OFFER# < OFFERS < PROFILE < TP#.
 * CUSTOMER_STATE_SKS relies on it: everything but the touchpoints is one range read.
 * '#' separates fields; only the last field of a key may contain '#' (ids, dedupe keys), which
 * is why ISO instants, sources and run ids (ULIDs) come first.
 */

const SEP = '#';

// Partition key prefixes.
export const CUSTOMER_PK_PREFIX = 'CUST#';
export const ALIAS_PK_PREFIX = 'ALIAS#';
export const OFFER_PK_PREFIX = 'OFFER#';
export const IDEMPOTENCY_PK_PREFIX = 'IDEMPOTENCY#';
export const RUN_PK_PREFIX = 'RUN#';
export const EVENT_PK_PREFIX = 'EVENT#';
export const PARKED_PK_PREFIX = 'PARKED#';
export const CAMPAIGN_PK_PREFIX = 'CAMPAIGN#';
export const ERASURE_AUDIT_PK = 'AUDIT#ERASURE';
export const SOURCE_PK_PREFIX = 'SOURCE#';

// Sort keys and sort key prefixes.
export const PROFILE_SK = 'PROFILE';
export const ALIAS_SK = 'ALIAS';
export const TOUCHPOINT_PREFIX = 'TP#';
export const MERGE_SK_PREFIX = 'MERGE#';
export const FLAG_SK_PREFIX = 'FLAG#';
export const MINING_SK = 'MINING';
export const OFFER_SK_PREFIX = 'OFFER#';
export const OFFER_LEDGER_SK = 'OFFERS';
export const OFFER_POINTER_SK = 'OFFER';
export const AUDIT_SK_PREFIX = 'AUDIT#';
/** 'OFFER': offer registrations are the only requests that take an Idempotency-Key. */
export const IDEMPOTENCY_SK = 'OFFER';
export const RUN_SK = 'RUN';
export const EVENT_SK = 'EVENT';
export const PARKED_SK_PREFIX = 'REFUND#';
export const CAMPAIGN_SK = 'CAMPAIGN';
export const ASSIGNMENT_SK_PREFIX = 'ASSIGN#';
export const ANON_ASSIGNMENT_SK_PREFIX = 'ANON#';
export const SOURCE_HOUR_SK_PREFIX = 'HOUR#';
export const SOURCE_LAST_SK = 'LAST_DELIVERY';

// The one global secondary index, shared by two entities with disjoint partition prefixes.
export const GSI1 = 'gsi1';
export const ORDER_INDEX = GSI1;
export const FLAGS_INDEX = GSI1;
export const ORDER_INDEX_PREFIX = 'ORDER#';
export const FLAGS_INDEX_PREFIX = 'FLAGS#';
export const CUSTOMERS_INDEX = GSI1;
/** The gsi1 partition of one run's per-customer results, in CLV order (the browse route). */
export const CUSTOMERS_INDEX_PREFIX = 'CUSTOMERS#';
export const RUNS_INDEX = GSI1;
/** The one gsi1 partition of every mining run (listed newest first). */
export const RUNS_INDEX_PK = 'MINING_RUNS';
export const CAMPAIGNS_INDEX = GSI1;
/** The one gsi1 partition of every campaign (campaigns are few; listed newest first). */
export const CAMPAIGNS_INDEX_PK = 'CAMPAIGNS';
export const ASSIGNMENTS_INDEX = GSI1;
export const ASSIGNMENTS_INDEX_PREFIX = 'ASSIGNMENTS#';
export const SUBSCRIPTION_PK_PREFIX = 'SUB#';
export const SUBSCRIPTION_SK = 'SUB';
export const SUBSCRIPTIONS_INDEX_PK = 'SUBSCRIPTIONS';
export const DELIVERY_SK_PREFIX = 'DELIVERY#';
export const DELIVERIES_INDEX_PREFIX = 'DELIVERIES#';
export const LEASE_SK_PREFIX = 'LEASE#';
export const PLAYBOOK_PK_PREFIX = 'PLAYBOOK#';
export const PLAYBOOK_SK = 'PLAYBOOK';
export const PLAYBOOKS_INDEX_PK = 'PLAYBOOKS';
export const ENROLLMENT_SK_PREFIX = 'ENROLL#';
export const PLAYBOOK_DUE_INDEX_PREFIX = 'PLAYBOOK_DUE#';
/** Due enrollments spread over this many gsi1 partitions, so no one partition takes every write. */
export const PLAYBOOK_DUE_SHARDS = 8;

/** How many items a bounded collection holds (subscriptions, playbooks): kept with each write. */
export const COLLECTION_COUNTER_PK = 'COUNT';
export const SUBSCRIPTIONS_COUNTER = { pk: COLLECTION_COUNTER_PK, sk: 'SUBSCRIPTIONS' } as const;
export const PLAYBOOKS_COUNTER = { pk: COLLECTION_COUNTER_PK, sk: 'PLAYBOOKS' } as const;

/** Read by /health to prove the table answers; no item has this key. */
export const HEALTH_PROBE_KEY = { pk: 'HEALTH', sk: 'HEALTH' } as const;

// Builders.
export const customerPk = (customerId: string) => `${CUSTOMER_PK_PREFIX}${customerId}`;
export const aliasPk = (aliasHash: string) => `${ALIAS_PK_PREFIX}${aliasHash}`;
export const touchpointSk = (occurredAt: string, source: string, dedupeKey: string) =>
  `${TOUCHPOINT_PREFIX}${normalizeInstant(occurredAt)}${SEP}${source}${SEP}${dedupeKey}`;
/** Lower bound of the touchpoints at or after `sinceIso` (with TOUCHPOINTS_END_SK: a time range). */
export const touchpointsFromSk = (sinceIso: string) => `${TOUCHPOINT_PREFIX}${normalizeInstant(sinceIso)}`;
export const TOUCHPOINTS_END_SK = `${TOUCHPOINT_PREFIX}\uffff`;
export const mergeSk = (at: string, mergedId: string) => `${MERGE_SK_PREFIX}${at}${SEP}${mergedId}`;
export const erasureAuditSk = (erasedAt: string, customerId: string) => `${erasedAt}${SEP}${customerId}`;
/** The gsi1 partition of a purchase, so an event naming only the order (a refund) finds its customer. */
export const orderIndexPk = (source: string, orderId: string) => `${ORDER_INDEX_PREFIX}${source}${SEP}${orderId}`;

/** The idempotency marker of one provider event (or order) within its source; see CustomerStore.writeTouchpoint. */
export const eventMarkerPk = (source: string, key: string) => `${EVENT_PK_PREFIX}${source}${SEP}${key}`;
/** The refunds parked until their order arrives, one partition per order. */
export const parkedPk = (source: string, orderId: string) => `${PARKED_PK_PREFIX}${source}${SEP}${orderId}`;
export const parkedSk = (eventId: string) => `${PARKED_SK_PREFIX}${eventId}`;

export const flagSk = (type: string) => `${FLAG_SK_PREFIX}${type}`;
export const runPk = (runId: string) => `${RUN_PK_PREFIX}${runId}`;
/** 'LATEST' cannot be a run id: ULIDs use Crockford base32, which has no L. */
export const LATEST_RUN_PK = runPk('LATEST');
export const flagsIndexPk = (runId: string, type: string) => `${FLAGS_INDEX_PREFIX}${runId}${SEP}${type}`;
/** Fixed-width score so the index sorts numerically; the id breaks ties and keeps keys unique. */
/** Digits of a flag's expected value in its index key (minor units; larger values are capped). */
const FLAG_VALUE_DIGITS = 16;
/**
 * Score, then expected value (so equal scores list the more valuable customer first, not the
 * larger id), then the customer id: the index reads them in descending order.
 */
export const flagsIndexSk = (score: number, expectedValueMinor: number, customerId: string) =>
  `${score.toFixed(6)}${SEP}${String(Math.min(10 ** FLAG_VALUE_DIGITS - 1, Math.max(0, Math.round(expectedValueMinor)))).padStart(FLAG_VALUE_DIGITS, '0')}${SEP}${customerId}`;

/** Digits of a customer's CLV in the browse index key (minor units; negative reads as 0, larger values are capped). */
const CLV_DIGITS = 16;
export const customersIndexPk = (runId: string) => `${CUSTOMERS_INDEX_PREFIX}${runId}`;
/** Fixed-width CLV, then the customer id (ties, and unique keys): the index reads customers in value order. */
export const customersIndexSk = (clvMinor: number, customerId: string) =>
  `${String(Math.min(10 ** CLV_DIGITS - 1, Math.max(0, Math.round(Number.isFinite(clvMinor) ? clvMinor : 0)))).padStart(CLV_DIGITS, '0')}${SEP}${customerId}`;
/** Start time, then the id (a ULID): the index reads runs newest first. */
export const runsIndexSk = (createdAt: string, runId: string) => `${normalizeInstant(createdAt)}${SEP}${runId}`;

export const sourcePk = (source: string) => `${SOURCE_PK_PREFIX}${source}`;
/** The hour an instant falls in, `yyyy-mm-ddThh` (UTC): hour buckets sort in time order. */
export const sourceHourSk = (at: Date | string) => `${SOURCE_HOUR_SK_PREFIX}${new Date(at).toISOString().slice(0, 13)}`;
/** Upper bound of every hour bucket of a source ('~' sorts after the digits). */
export const SOURCE_HOURS_END_SK = `${SOURCE_HOUR_SK_PREFIX}~`;

export const offerSk = (offerId: string) => `${OFFER_SK_PREFIX}${offerId}`;
export const offerPk = (offerId: string) => `${OFFER_PK_PREFIX}${offerId}`;
/** Time order, then write order (`seq` is a monotonic ULID). */
export const offerAuditSk = (at: string, seq: string) => `${AUDIT_SK_PREFIX}${at}${SEP}${seq}`;
export const idempotencyPk = (keyHash: string) => `${IDEMPOTENCY_PK_PREFIX}${keyHash}`;

export const campaignPk = (campaignId: string) => `${CAMPAIGN_PK_PREFIX}${campaignId}`;
/** Creation time, then the id (a ULID): the index reads campaigns newest first. */
export const campaignsIndexSk = (createdAt: string, campaignId: string) => `${normalizeInstant(createdAt)}${SEP}${campaignId}`;
export const assignmentSk = (campaignId: string) => `${ASSIGNMENT_SK_PREFIX}${campaignId}`;
/** The gsi1 partition of a campaign's assignments (live and anonymous), read for its results. */
export const assignmentsIndexPk = (campaignId: string) => `${ASSIGNMENTS_INDEX_PREFIX}${campaignId}`;
/** Group first, then the customer id; an anonymous assignment's '~' sorts after every id (ULIDs). */
export const assignmentsIndexSk = (group: string, customerId: string) => `${group}${SEP}${customerId}`;
export const anonymousAssignmentSk = (id: string) => `${ANON_ASSIGNMENT_SK_PREFIX}${id}`;
export const anonymousAssignmentsIndexSk = (group: string, id: string) => `${group}${SEP}~${id}`;

export const subscriptionPk = (id: string) => `${SUBSCRIPTION_PK_PREFIX}${id}`;
export const subscriptionsIndexSk = (createdAt: string, id: string) => `${normalizeInstant(createdAt)}${SEP}${id}`;
export const deliverySk = (eventId: string) => `${DELIVERY_SK_PREFIX}${eventId}`;
export const deliveriesIndexPk = (subscriptionId: string) => `${DELIVERIES_INDEX_PREFIX}${subscriptionId}`;
export const deliveriesIndexSk = (createdAt: string, eventId: string) => `${normalizeInstant(createdAt)}${SEP}${eventId}`;
export const leaseSk = (slot: number) => `${LEASE_SK_PREFIX}${slot}`;
export const playbookPk = (id: string) => `${PLAYBOOK_PK_PREFIX}${id}`;
export const playbooksIndexSk = (createdAt: string, id: string) => `${normalizeInstant(createdAt)}${SEP}${id}`;
export const enrollmentSk = (playbookId: string) => `${ENROLLMENT_SK_PREFIX}${playbookId}`;
export const playbookDueIndexPk = (shard: number) => `${PLAYBOOK_DUE_INDEX_PREFIX}${shard}`;
export const playbookDueIndexSk = (dueAt: string, customerId: string, playbookId: string) =>
  `${normalizeInstant(dueAt)}${SEP}${customerId}${SEP}${playbookId}`;
/** The upper bound of due keys at `nowIso` ('~' sorts after every id character). */
export const playbookDueUntilSk = (nowIso: string) => `${normalizeInstant(nowIso)}${SEP}~`;

/** The sort key range of a customer's state without its touchpoints (see the sort order above). */
export const CUSTOMER_STATE_SKS = { from: ASSIGNMENT_SK_PREFIX, to: PROFILE_SK } as const;

// Parsers: the inverse of each builder, undefined for a key of another entity.
export const parseCustomerPk = (pk: string) => rest(pk, CUSTOMER_PK_PREFIX);
export const parseAliasPk = (pk: string) => rest(pk, ALIAS_PK_PREFIX);
export const parseOfferPk = (pk: string) => rest(pk, OFFER_PK_PREFIX);
export const parseIdempotencyPk = (pk: string) => rest(pk, IDEMPOTENCY_PK_PREFIX);
export const parseRunPk = (pk: string) => rest(pk, RUN_PK_PREFIX);
export const parseFlagSk = (sk: string) => rest(sk, FLAG_SK_PREFIX);
export const parseOfferSk = (sk: string) => rest(sk, OFFER_SK_PREFIX);
export const parseParkedSk = (sk: string) => rest(sk, PARKED_SK_PREFIX);
export const parseCampaignPk = (pk: string) => rest(pk, CAMPAIGN_PK_PREFIX);
export const parseAssignmentSk = (sk: string) => rest(sk, ASSIGNMENT_SK_PREFIX);
export const parseSubscriptionPk = (pk: string) => rest(pk, SUBSCRIPTION_PK_PREFIX);
export const parseDeliverySk = (sk: string) => rest(sk, DELIVERY_SK_PREFIX);
export const parsePlaybookPk = (pk: string) => rest(pk, PLAYBOOK_PK_PREFIX);
export const parseEnrollmentSk = (sk: string) => rest(sk, ENROLLMENT_SK_PREFIX);
export const parseRunsIndexSk = (sk: string) => {
  const f = fields(sk, '', 2);
  return f && { createdAt: f[0], runId: f[1] };
};
export const parseCustomersIndexPk = (pk: string) => rest(pk, CUSTOMERS_INDEX_PREFIX);
export const parseSourcePk = (pk: string) => rest(pk, SOURCE_PK_PREFIX);
/** The hour of a bucket as an ISO instant (the start of the hour). */
export const parseSourceHourSk = (sk: string) => {
  const hour = rest(sk, SOURCE_HOUR_SK_PREFIX);
  return hour === undefined ? undefined : `${hour}:00:00.000Z`;
};

export function parseCustomersIndexSk(sk: string): { clvMinor: number; customerId: string } | undefined {
  const f = fields(sk, '', 2);
  return f && { clvMinor: Number(f[0]), customerId: f[1] };
}

export function parseCampaignsIndexSk(sk: string): { createdAt: string; campaignId: string } | undefined {
  const f = fields(sk, '', 2);
  return f && { createdAt: f[0], campaignId: f[1] };
}

export function parseEventMarkerPk(pk: string): { source: string; key: string } | undefined {
  const f = fields(pk, EVENT_PK_PREFIX, 2);
  return f && { source: f[0], key: f[1] };
}

export function parseParkedPk(pk: string): { source: string; orderId: string } | undefined {
  const f = fields(pk, PARKED_PK_PREFIX, 2);
  return f && { source: f[0], orderId: f[1] };
}

export function parseTouchpointSk(sk: string): { occurredAt: string; source: string; dedupeKey: string } | undefined {
  const f = fields(sk, TOUCHPOINT_PREFIX, 3);
  return f && { occurredAt: f[0], source: f[1], dedupeKey: f[2] };
}

export function parseMergeSk(sk: string): { at: string; mergedId: string } | undefined {
  const f = fields(sk, MERGE_SK_PREFIX, 2);
  return f && { at: f[0], mergedId: f[1] };
}

export function parseErasureAuditSk(sk: string): { erasedAt: string; customerId: string } | undefined {
  const f = fields(sk, '', 2);
  return f && { erasedAt: f[0], customerId: f[1] };
}

export function parseOrderIndexPk(pk: string): { source: string; orderId: string } | undefined {
  const f = fields(pk, ORDER_INDEX_PREFIX, 2);
  return f && { source: f[0], orderId: f[1] };
}

export function parseFlagsIndexPk(pk: string): { runId: string; type: string } | undefined {
  const f = fields(pk, FLAGS_INDEX_PREFIX, 2);
  return f && { runId: f[0], type: f[1] };
}

export function parseFlagsIndexSk(sk: string): { score: number; expectedValueMinor: number; customerId: string } | undefined {
  const f = fields(sk, '', 3);
  return f && { score: Number(f[0]), expectedValueMinor: Number(f[1]), customerId: f[2] };
}

export function parseOfferAuditSk(sk: string): { at: string; seq: string } | undefined {
  const f = fields(sk, AUDIT_SK_PREFIX, 2);
  return f && { at: f[0], seq: f[1] };
}

/** ISO instants in UTC with milliseconds sort lexicographically in time order. */
export function normalizeInstant(iso: string): string {
  return new Date(iso).toISOString();
}

function rest(key: string, prefix: string): string | undefined {
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}

/** `<prefix>a#b#c` as n fields; the last keeps any further '#'. */
function fields(key: string, prefix: string, n: 2): [string, string] | undefined;
function fields(key: string, prefix: string, n: 3): [string, string, string] | undefined;
function fields(key: string, prefix: string, n: number): string[] | undefined {
  let tail = rest(key, prefix);
  if (tail === undefined) return undefined;
  const out: string[] = [];
  for (let i = 1; i < n; i++) {
    const at = tail.indexOf(SEP);
    if (at < 0) return undefined;
    out.push(tail.slice(0, at));
    tail = tail.slice(at + 1);
  }
  out.push(tail);
  return out;
}
