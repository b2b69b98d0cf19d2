import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import * as schema from '../../../layers/core/src/store/keys.js';

const {
  aliasPk,
  customerPk,
  erasureAuditSk,
  flagSk,
  flagsIndexPk,
  flagsIndexSk,
  idempotencyPk,
  mergeSk,
  normalizeInstant,
  offerAuditSk,
  offerPk,
  offerSk,
  orderIndexPk,
  runPk,
  touchpointSk,
  touchpointsFromSk,
} = schema;

const any = fc.string({ unit: 'binary' });
/** Fields followed by another field may not contain the separator (see store/keys.ts). */
const noSep = any.filter((s) => !s.includes('#'));
const instant = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

describe('table schema: every builder has a parser that inverts it', () => {
  const simple: [string, (v: string) => string, (k: string) => string | undefined][] = [
    ['customerPk', customerPk, schema.parseCustomerPk],
    ['aliasPk', aliasPk, schema.parseAliasPk],
    ['offerPk', offerPk, schema.parseOfferPk],
    ['idempotencyPk', idempotencyPk, schema.parseIdempotencyPk],
    ['runPk', runPk, schema.parseRunPk],
    ['flagSk', flagSk, schema.parseFlagSk],
    ['offerSk', offerSk, schema.parseOfferSk],
    ['campaignPk', schema.campaignPk, schema.parseCampaignPk],
    ['assignmentSk', schema.assignmentSk, schema.parseAssignmentSk],
    ['subscriptionPk', schema.subscriptionPk, schema.parseSubscriptionPk],
    ['deliverySk', schema.deliverySk, schema.parseDeliverySk],
    ['playbookPk', schema.playbookPk, schema.parsePlaybookPk],
    ['enrollmentSk', schema.enrollmentSk, schema.parseEnrollmentSk],
  ];
  it.each(simple)('%s', (_name, build, parse) => {
    fc.assert(fc.property(any, (v) => parse(build(v)) === v));
  });

  it('touchpointSk (the instant comes back normalized)', () => {
    fc.assert(
      fc.property(instant, noSep, any, (occurredAt, source, dedupeKey) => {
        expect(schema.parseTouchpointSk(touchpointSk(occurredAt, source, dedupeKey))).toEqual({ occurredAt, source, dedupeKey });
      }),
    );
    expect(schema.parseTouchpointSk(touchpointSk('2026-01-02T12:00:00+02:00', 'shopify', 'a#b'))).toEqual({
      occurredAt: '2026-01-02T10:00:00.000Z',
      source: 'shopify',
      dedupeKey: 'a#b',
    });
  });

  it('mergeSk', () => {
    fc.assert(
      fc.property(instant, any, (at, mergedId) => void expect(schema.parseMergeSk(mergeSk(at, mergedId))).toEqual({ at, mergedId })),
    );
  });

  it('erasureAuditSk', () => {
    fc.assert(
      fc.property(
        instant,
        any,
        (erasedAt, customerId) =>
          void expect(schema.parseErasureAuditSk(erasureAuditSk(erasedAt, customerId))).toEqual({ erasedAt, customerId }),
      ),
    );
  });

  it('orderIndexPk', () => {
    fc.assert(
      fc.property(
        noSep,
        any,
        (source, orderId) => void expect(schema.parseOrderIndexPk(orderIndexPk(source, orderId))).toEqual({ source, orderId }),
      ),
    );
  });

  it('flagsIndexPk', () => {
    fc.assert(
      fc.property(noSep, any, (runId, type) => void expect(schema.parseFlagsIndexPk(flagsIndexPk(runId, type))).toEqual({ runId, type })),
    );
  });

  it('flagsIndexSk (scores have six decimals, values are whole minor units)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.nat({ max: 1e15 }), any, (micros, expectedValueMinor, customerId) => {
        const score = micros / 1e6;
        expect(schema.parseFlagsIndexSk(flagsIndexSk(score, expectedValueMinor, customerId))).toEqual({
          score,
          expectedValueMinor,
          customerId,
        });
      }),
    );
  });

  it('flagsIndexSk orders equal scores by value, not by customer id', () => {
    const keys = [flagsIndexSk(0.5, 100, 'zz'), flagsIndexSk(0.5, 9_999, 'aa'), flagsIndexSk(0.6, 0, 'mm')].sort().reverse();
    expect(keys.map((k) => schema.parseFlagsIndexSk(k)!.customerId)).toEqual(['mm', 'aa', 'zz']);
  });

  it('campaignsIndexSk (the instant comes back normalized)', () => {
    fc.assert(
      fc.property(
        instant,
        any,
        (createdAt, campaignId) =>
          void expect(schema.parseCampaignsIndexSk(schema.campaignsIndexSk(createdAt, campaignId))).toEqual({ createdAt, campaignId }),
      ),
    );
  });

  it('offerAuditSk', () => {
    fc.assert(fc.property(instant, any, (at, seq) => void expect(schema.parseOfferAuditSk(offerAuditSk(at, seq))).toEqual({ at, seq })));
  });

  it("parsers reject other entities' keys", () => {
    fc.assert(
      fc.property(any, (v) => {
        expect(schema.parseCustomerPk(aliasPk(v))).toBeUndefined();
        expect(schema.parseAliasPk(customerPk(v))).toBeUndefined();
        expect(schema.parseRunPk(offerPk(v))).toBeUndefined();
        expect(schema.parseOfferSk(flagSk(v))).toBeUndefined();
        expect(schema.parseFlagSk(offerSk(v))).toBeUndefined();
        expect(schema.parseCampaignPk(offerPk(v))).toBeUndefined();
        expect(schema.parseAssignmentSk(flagSk(v))).toBeUndefined();
      }),
    );
    expect(schema.parseOfferSk(schema.OFFER_LEDGER_SK)).toBeUndefined();
    expect(schema.parseTouchpointSk(schema.PROFILE_SK)).toBeUndefined();
    expect(schema.parseMergeSk('MERGE#no-separator')).toBeUndefined();
  });
});

describe('table schema: stored format (changing any of these needs a data migration)', () => {
  it('builds the same strings as the data already in tables', () => {
    expect([
      customerPk('c1'),
      schema.PROFILE_SK,
      touchpointSk('2026-01-02T10:00:00Z', 'shopify', 'order#1'),
      mergeSk('2026-01-02T10:00:00.000Z', 'c2'),
      aliasPk('h1'),
      schema.ALIAS_SK,
      schema.ERASURE_AUDIT_PK,
      erasureAuditSk('2026-01-02T10:00:00.000Z', 'c1'),
      orderIndexPk('shopify', 'o-1'),
      flagSk('churn-risk'),
      schema.MINING_SK,
      flagsIndexPk('01RUN', 'churn-risk'),
      flagsIndexSk(0.5, 1200, 'c1'),
      runPk('01RUN'),
      schema.RUN_SK,
      schema.LATEST_RUN_PK,
      offerSk('of1'),
      schema.OFFER_LEDGER_SK,
      offerPk('of1'),
      schema.OFFER_POINTER_SK,
      offerAuditSk('2026-01-02T10:00:00.000Z', '01SEQ'),
      idempotencyPk('k1'),
      schema.IDEMPOTENCY_SK,
      touchpointsFromSk('2026-01-02T12:00:00+02:00'),
      schema.TOUCHPOINTS_END_SK,
      schema.ORDER_INDEX,
      schema.FLAGS_INDEX,
      schema.HEALTH_PROBE_KEY,
      schema.campaignPk('01CAMP'),
      schema.CAMPAIGN_SK,
      schema.CAMPAIGNS_INDEX_PK,
      schema.campaignsIndexSk('2026-01-02T12:00:00+02:00', '01CAMP'),
      schema.CAMPAIGNS_INDEX,
      schema.assignmentSk('01CAMP'),
    ]).toEqual([
      'CUST#c1',
      'PROFILE',
      'TP#2026-01-02T10:00:00.000Z#shopify#order#1',
      'MERGE#2026-01-02T10:00:00.000Z#c2',
      'ALIAS#h1',
      'ALIAS',
      'AUDIT#ERASURE',
      '2026-01-02T10:00:00.000Z#c1',
      'ORDER#shopify#o-1',
      'FLAG#churn-risk',
      'MINING',
      'FLAGS#01RUN#churn-risk',
      '0.500000#0000000000001200#c1', // the value breaks score ties since the unreleased version (CHANGELOG); flags expire, no migration
      'RUN#01RUN',
      'RUN',
      'RUN#LATEST',
      'OFFER#of1',
      'OFFERS',
      'OFFER#of1',
      'OFFER',
      'AUDIT#2026-01-02T10:00:00.000Z#01SEQ',
      'IDEMPOTENCY#k1',
      'OFFER',
      'TP#2026-01-02T10:00:00.000Z',
      'TP#\uffff',
      'gsi1',
      'gsi1',
      { pk: 'HEALTH', sk: 'HEALTH' },
      'CAMPAIGN#01CAMP',
      'CAMPAIGN',
      'CAMPAIGNS',
      '2026-01-02T10:00:00.000Z#01CAMP',
      'gsi1',
      'ASSIGN#01CAMP',
    ]);
  });

  it("keeps a customer's state in one sort-key range, with the touchpoints after it", () => {
    const { from, to } = schema.CUSTOMER_STATE_SKS;
    const inRange = (sk: string) => from <= sk && sk <= to;
    fc.assert(
      fc.property(any, instant, noSep, any, (v, at, source, key) => {
        for (const sk of [
          schema.assignmentSk(v),
          flagSk(v),
          mergeSk(at, v),
          schema.MINING_SK,
          offerSk(v),
          schema.OFFER_LEDGER_SK,
          schema.PROFILE_SK,
        ])
          expect(inRange(sk)).toBe(true);
        const tp = touchpointSk(at, source, key);
        expect(tp > to).toBe(true);
        expect(touchpointsFromSk(at) <= tp && tp < schema.TOUCHPOINTS_END_SK).toBe(true);
      }),
    );
  });

  it('partition key prefixes do not overlap, so begins_with(pk, prefix) finds one entity', () => {
    const prefixes = [
      schema.CUSTOMER_PK_PREFIX,
      schema.ALIAS_PK_PREFIX,
      schema.OFFER_PK_PREFIX,
      schema.IDEMPOTENCY_PK_PREFIX,
      schema.RUN_PK_PREFIX,
      schema.EVENT_PK_PREFIX,
      schema.PARKED_PK_PREFIX,
      schema.CAMPAIGN_PK_PREFIX,
    ];
    const fixed = [schema.ERASURE_AUDIT_PK, schema.HEALTH_PROBE_KEY.pk];
    for (const p of prefixes) {
      for (const q of prefixes) if (p !== q) expect(q.startsWith(p)).toBe(false);
      for (const k of fixed) expect(k.startsWith(p)).toBe(false);
    }
    expect(normalizeInstant('2026-01-02T10:00:00Z')).toBe('2026-01-02T10:00:00.000Z');
  });
});

describe('table schema: key literals live in store/keys.ts only', () => {
  const root = join(process.cwd(), 'layers', 'core', 'src');
  const schemaFile = join('store', 'keys.ts');

  // Built from the schema's own constants, so a new entity is covered without touching this test.
  const constants = Object.values(schema).flatMap((v) =>
    typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v) : [],
  );
  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const prefixes = constants.filter((c) => c.endsWith('#'));
  const exact = constants.filter((c) => !c.includes('#'));
  const quote = `['"\`]`;
  const literal = new RegExp(
    `${quote}(?:(?:${prefixes.map(escapeRe).join('|')})|(?:${exact.map(escapeRe).join('|')})(?:${quote}|#|\\$\\{))`,
  );

  it('the pattern knows every key and catches the usual forms', () => {
    expect(prefixes).toEqual(
      expect.arrayContaining([
        'CUST#',
        'ALIAS#',
        'OFFER#',
        'IDEMPOTENCY#',
        'RUN#',
        'TP#',
        'MERGE#',
        'FLAG#',
        'AUDIT#',
        'ORDER#',
        'FLAGS#',
        'CAMPAIGN#',
        'ASSIGN#',
      ]),
    );
    expect(exact).toEqual(
      expect.arrayContaining(['PROFILE', 'ALIAS', 'MINING', 'OFFERS', 'OFFER', 'RUN', 'gsi1', 'HEALTH', 'CAMPAIGN', 'CAMPAIGNS']),
    );
    for (const bad of [
      "'CUST#'.length",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a sample of source text
      '`CUST#${id}`',
      '"PROFILE"',
      "sk: 'OFFERS'",
      "'AUDIT#ERASURE'",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a sample of source text
      '`${at}#x` + `FLAG#${t}`',
      "IndexName: 'gsi1'",
    ]) {
      expect(bad).toMatch(literal);
    }
    for (const fine of ["'OFFER_RULES'", "'MINING_QUEUE_URL'", "'gsi1pk = :pk'", 'customerPk(id)', "'#type'"]) {
      expect(fine).not.toMatch(literal);
    }
  });

  it('finds no key literal in layers/core/src outside the schema file', () => {
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files
      .filter((f) => f !== schemaFile)
      .flatMap((f) =>
        readFileSync(join(root, f), 'utf8')
          .split('\n')
          .flatMap((line, i) => (literal.test(line) ? [`${relative(process.cwd(), join(root, f))}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });
});
