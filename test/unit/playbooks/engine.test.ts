import fc from 'fast-check';
import { OfferRequest } from '../../../layers/core/src/offers/schema.js';
import {
  anniversaryAnchor,
  dateAnchor,
  matchesPurchase,
  nextStep,
  offerRequestOf,
  stepDelayMs,
  stepDueAt,
  stopReason,
} from '../../../layers/core/src/playbooks/engine.js';
import {
  STOP_CONDITIONS,
  type PlaybookStep,
  type PlaybookTrigger,
  type StoredPlaybook,
} from '../../../layers/core/src/playbooks/schema.js';
import { DAY_MS, HOUR_MS } from '../../../layers/core/src/time.js';

const step = (id: string, days = 0, hours?: number): PlaybookStep => ({
  id,
  delay: hours === undefined ? { days } : { days, hours },
  action: { kind: 'message', channel: 'email' },
});
const playbook = (over: Partial<StoredPlaybook> = {}): StoredPlaybook => ({
  playbookId: 'pb1',
  name: 'After sale',
  trigger: { type: 'purchase' },
  steps: [step('a')],
  enabled: true,
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});
const at = (iso: string) => new Date(iso);

describe('step timing', () => {
  it('adds days and hours to the anchor', () => {
    expect(stepDelayMs(step('a', 2, 3))).toBe(2 * DAY_MS + 3 * HOUR_MS);
    expect(stepDueAt('2026-01-30T10:00:00Z', step('a', 2, 3))).toBe('2026-02-01T13:00:00.000Z');
    expect(stepDueAt('2026-01-30', step('a', 0))).toBe('2026-01-30T00:00:00.000Z');
    expect(stepDueAt('2026-01-30T10:00:00+02:00', step('a', 1))).toBe('2026-01-31T08:00:00.000Z');
  });

  it('throws on an anchor that is not a date', () => {
    expect(() => stepDueAt('soon', step('a', 1))).toThrow(RangeError);
  });

  it('is monotone in the delay (property)', () => {
    const delay = fc.record({ days: fc.integer({ min: 0, max: 730 }), hours: fc.integer({ min: 0, max: 23 }) });
    fc.assert(
      fc.property(fc.date({ min: at('2000-01-01'), max: at('2100-01-01'), noInvalidDate: true }), delay, delay, (anchor, d1, d2) => {
        const [lo, hi] = d1.days * 24 + d1.hours <= d2.days * 24 + d2.hours ? [d1, d2] : [d2, d1];
        const iso = anchor.toISOString();
        const a = Date.parse(stepDueAt(iso, { delay: lo }));
        const b = Date.parse(stepDueAt(iso, { delay: hi }));
        return a <= b && a >= anchor.getTime();
      }),
    );
  });
});

describe('matchesPurchase', () => {
  const lines = [{ productId: '8146392000000', sku: 'COF-ETH-250', category: 'coffee' }, { sku: 'KIT-FLT-100' }];
  const p = (firstPurchase = false) => ({ firstPurchase, lines });

  it('any purchase for a bare purchase trigger', () => {
    expect(matchesPurchase({ type: 'purchase' }, p())).toBe(true);
    expect(matchesPurchase({ type: 'purchase' }, { firstPurchase: false, lines: [] })).toBe(true);
  });

  it('a line by productId or sku, or by category', () => {
    expect(matchesPurchase({ type: 'purchase', productId: '8146392000000' }, p())).toBe(true);
    expect(matchesPurchase({ type: 'purchase', productId: 'KIT-FLT-100' }, p())).toBe(true);
    expect(matchesPurchase({ type: 'purchase', productId: 'TEA-SEN-100' }, p())).toBe(false);
    expect(matchesPurchase({ type: 'purchase', productFamily: 'coffee' }, p())).toBe(true);
    expect(matchesPurchase({ type: 'purchase', productFamily: 'tea' }, p())).toBe(false);
    expect(matchesPurchase({ type: 'purchase', productId: 'TEA-SEN-100', productFamily: 'coffee' }, p())).toBe(true);
    // The family is a category, never a sku.
    expect(matchesPurchase({ type: 'purchase', productFamily: 'KIT-FLT-100' }, p())).toBe(false);
  });

  it('first-purchase only on the first purchase', () => {
    expect(matchesPurchase({ type: 'first-purchase' }, p(true))).toBe(true);
    expect(matchesPurchase({ type: 'first-purchase' }, p(false))).toBe(false);
  });

  it('never for other trigger types', () => {
    const others: PlaybookTrigger[] = [
      { type: 'flag', flagType: 'churn-risk' },
      { type: 'anniversary', of: 'first-purchase' },
      { type: 'date', month: 1, day: 1 },
    ];
    for (const t of others) expect(matchesPurchase(t, p(true))).toBe(false);
  });
});

describe('anniversaryAnchor', () => {
  const fp = (firstPurchaseAt: string) => ({ firstPurchaseAt });

  it('finds the next anniversary within the window, edges included', () => {
    expect(anniversaryAnchor('first-purchase', fp('2024-03-10T15:00:00Z'), at('2026-03-03T23:00:00Z'), 7)).toBe('2026-03-10');
    expect(anniversaryAnchor('first-purchase', fp('2024-03-10T15:00:00Z'), at('2026-03-10T23:59:00Z'), 0)).toBe('2026-03-10');
    expect(anniversaryAnchor('first-purchase', fp('2024-03-10T15:00:00Z'), at('2026-03-02T00:00:00Z'), 7)).toBeUndefined();
    expect(anniversaryAnchor('first-purchase', fp('2024-03-10T15:00:00Z'), at('2026-03-11T00:00:00Z'), 7)).toBeUndefined();
  });

  it('is at least a year after the date', () => {
    expect(anniversaryAnchor('first-purchase', fp('2026-03-10'), at('2026-03-10'), 30)).toBeUndefined();
    expect(anniversaryAnchor('first-purchase', fp('2026-03-10'), at('2026-03-10'), 365)).toBe('2027-03-10');
    expect(anniversaryAnchor('first-purchase', fp('2025-12-30'), at('2026-12-25'), 10)).toBe('2026-12-30');
  });

  it('crosses the year end', () => {
    expect(anniversaryAnchor('first-purchase', fp('2020-01-02'), at('2025-12-28'), 7)).toBe('2026-01-02');
  });

  it('puts Feb 29 on Feb 28 in non-leap years, and on Feb 29 in leap years', () => {
    expect(anniversaryAnchor('first-purchase', fp('2024-02-29'), at('2025-02-20'), 14)).toBe('2025-02-28');
    expect(anniversaryAnchor('first-purchase', fp('2024-02-29'), at('2025-03-01'), 14)).toBeUndefined();
    expect(anniversaryAnchor('first-purchase', fp('2024-02-29'), at('2028-02-20'), 14)).toBe('2028-02-29');
    expect(anniversaryAnchor('first-purchase', fp('2024-02-29'), at('2100-02-20'), 14)).toBe('2100-02-28');
  });

  it('reads membership from memberSince, and nothing from a missing or bad date', () => {
    const dates = { firstPurchaseAt: '2020-05-01', memberSince: '2021-06-01' };
    expect(anniversaryAnchor('membership', dates, at('2026-05-28'), 7)).toBe('2026-06-01');
    expect(anniversaryAnchor('first-purchase', dates, at('2026-05-28'), 7)).toBeUndefined();
    expect(anniversaryAnchor('membership', {}, at('2026-05-28'), 7)).toBeUndefined();
    expect(anniversaryAnchor('membership', { memberSince: 'never' }, at('2026-05-28'), 7)).toBeUndefined();
    expect(anniversaryAnchor('membership', dates, at('2026-05-28'), -1)).toBeUndefined();
  });

  it('always lands in the window, a year or more later, on the same month and day (Feb 28 for Feb 29) (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: at('2000-01-01'), max: at('2090-12-31'), noInvalidDate: true }),
        fc.date({ min: at('2000-01-01'), max: at('2095-12-31'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 800 }),
        (since, asOf, within) => {
          const r = anniversaryAnchor('first-purchase', { firstPurchaseAt: since.toISOString() }, asOf, within);
          const start = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate());
          if (r === undefined) {
            // Nothing in the window: checking each day of it (capped) finds no anniversary either.
            for (let t = start; t <= start + Math.min(within, 400) * DAY_MS; t += DAY_MS) {
              const d = new Date(t);
              const sameDay = d.getUTCMonth() === since.getUTCMonth() && d.getUTCDate() === since.getUTCDate();
              if (sameDay && d.getUTCFullYear() > since.getUTCFullYear()) return false;
            }
            return true;
          }
          const t = Date.parse(`${r}T00:00:00Z`);
          const d = new Date(t);
          const leapDay = since.getUTCMonth() === 1 && since.getUTCDate() === 29;
          const sameDay =
            d.getUTCMonth() === since.getUTCMonth() && (d.getUTCDate() === since.getUTCDate() || (leapDay && d.getUTCDate() === 28));
          return t >= start && t <= start + within * DAY_MS && d.getUTCFullYear() > since.getUTCFullYear() && sameDay;
        },
      ),
    );
  });
});

describe('dateAnchor', () => {
  it('finds the next occurrence in the window, this year or next', () => {
    expect(dateAnchor({ month: 12, day: 24 }, at('2026-12-20T12:00:00Z'), 7)).toBe('2026-12-24');
    expect(dateAnchor({ month: 12, day: 24 }, at('2026-12-24T23:59:59Z'), 0)).toBe('2026-12-24');
    expect(dateAnchor({ month: 12, day: 24 }, at('2026-12-25T00:00:00Z'), 7)).toBeUndefined();
    expect(dateAnchor({ month: 12, day: 24 }, at('2026-12-25T00:00:00Z'), 364)).toBe('2027-12-24');
    expect(dateAnchor({ month: 1, day: 1 }, at('2026-12-28'), 4)).toBe('2027-01-01');
    expect(dateAnchor({ month: 1, day: 1 }, at('2026-12-28'), 3)).toBeUndefined();
  });

  it('puts Feb 29 on Feb 28 in non-leap years', () => {
    expect(dateAnchor({ month: 2, day: 29 }, at('2026-02-01'), 30)).toBe('2026-02-28');
    expect(dateAnchor({ month: 2, day: 29 }, at('2028-02-01'), 30)).toBe('2028-02-29');
    expect(dateAnchor({ month: 2, day: 29 }, at('2028-02-29'), 0)).toBe('2028-02-29');
    expect(dateAnchor({ month: 2, day: 29 }, at('2026-03-01'), 300)).toBeUndefined();
  });

  it('always lands in the window on the day (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.date({ min: at('2000-01-01'), max: at('2099-12-31'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 800 }),
        (month, day, asOf, within) => {
          const r = dateAnchor({ month, day }, asOf, within);
          const start = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate());
          // Any window of a year or more holds every yearly date.
          if (r === undefined) return within < 365;
          const t = Date.parse(`${r}T00:00:00Z`);
          const d = new Date(t);
          const lastOfMonth = new Date(Date.UTC(d.getUTCFullYear(), month, 0)).getUTCDate();
          return (
            t >= start && t <= start + within * DAY_MS && d.getUTCMonth() === month - 1 && d.getUTCDate() === Math.min(day, lastOfMonth)
          );
        },
      ),
    );
  });
});

describe('stopReason', () => {
  const none = { purchasedSinceAnchor: false, responded: false };

  it('stops only on the conditions asked for', () => {
    expect(stopReason(undefined, { ...none, purchasedSinceAnchor: true, responded: true })).toBeUndefined();
    expect(stopReason([], { ...none, purchasedSinceAnchor: true })).toBeUndefined();
    expect(stopReason(['responded'], { ...none, purchasedSinceAnchor: true })).toBeUndefined();
    expect(stopReason(['purchased'], { ...none, purchasedSinceAnchor: true })).toBe('purchased');
    expect(stopReason(['purchased', 'responded'], { ...none, responded: true })).toBe('responded');
    expect(stopReason(['responded', 'purchased'], { purchasedSinceAnchor: true, responded: true })).toBe('purchased');
  });

  it('left-segment only when both segments are known and differ', () => {
    const s = (segmentAtEnrollment?: string, segmentNow?: string) =>
      stopReason(['left-segment'], { ...none, segmentAtEnrollment, segmentNow });
    expect(s('loyal', 'at-risk')).toBe('left-segment');
    expect(s('loyal', 'loyal')).toBeUndefined();
    expect(s(undefined, 'loyal')).toBeUndefined();
    expect(s('loyal', undefined)).toBeUndefined();
  });

  it('returns only a condition that was asked for (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...STOP_CONDITIONS), { maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.constantFrom('a', 'b')),
        fc.option(fc.constantFrom('a', 'b')),
        (stopIf, purchased, responded, was, now) => {
          const r = stopReason(stopIf, {
            purchasedSinceAnchor: purchased,
            responded,
            segmentAtEnrollment: was ?? undefined,
            segmentNow: now ?? undefined,
          });
          return r === undefined || stopIf.includes(r);
        },
      ),
    );
  });
});

describe('nextStep', () => {
  const steps = [step('a', 0), step('b', 7), step('c', 30)];

  it('is the first step in order not yet fired', () => {
    expect(nextStep({ steps }, new Set())?.id).toBe('a');
    expect(nextStep({ steps }, new Set(['a']))?.id).toBe('b');
    expect(nextStep({ steps }, new Set(['a', 'b', 'c']))).toBeUndefined();
  });

  it('never refires a step after an edit renames or removes steps', () => {
    // b was fired, then removed and c renamed: the new ids are new steps, a fired id never comes back.
    const edited = [step('a', 0), step('c2', 30)];
    expect(nextStep({ steps: edited }, new Set(['a', 'b']))?.id).toBe('c2');
    expect(nextStep({ steps: [step('b', 0)] }, new Set(['a', 'b']))).toBeUndefined();
  });

  it('never returns a fired id (property)', () => {
    const ids = fc.uniqueArray(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), { minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(ids, fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/), { maxLength: 12 }), (stepIds, firedIds) => {
        const fired = new Set(firedIds);
        const s = stepIds.map((id, i) => step(id, i));
        const r = nextStep({ steps: s }, fired);
        if (r === undefined) return stepIds.every((id) => fired.has(id));
        return !fired.has(r.id) && s.slice(0, s.indexOf(r)).every((x) => fired.has(x.id));
      }),
    );
  });
});

describe('offerRequestOf', () => {
  const NOW = at('2026-03-01T09:00:00Z');
  const selling: PlaybookStep = {
    id: 'new-offer',
    delay: { days: 35 },
    action: {
      kind: 'upsell',
      channel: 'phone',
      productId: 'prod_QzP1usM3mb3r00',
      terms: { discountPercent: 15 },
      template: 't',
      validDays: 14,
    },
    stopIf: ['purchased'],
  };

  it('builds a request from the action, labelled with the playbook and step', () => {
    const r = offerRequestOf(playbook({ steps: [selling] }), selling, 'cust-1', NOW);
    expect(r).toEqual({
      customerId: 'cust-1',
      kind: 'upsell',
      channel: 'phone',
      productId: 'prod_QzP1usM3mb3r00',
      terms: { discountPercent: 15 },
      team: 'playbooks',
      campaignLabel: 'playbook After sale, step new-offer',
      validUntil: '2026-03-15T09:00:00.000Z',
    });
    expect(OfferRequest.parse(r)).toEqual(r);
  });

  it('names the campaign instead of a label when the playbook has one', () => {
    const r = offerRequestOf(playbook({ campaignId: '01M8NYZ6SFZQ48EN3BA4EQW3N2' }), step('a'), 'cust-1', NOW);
    expect(r.campaignId).toBe('01M8NYZ6SFZQ48EN3BA4EQW3N2');
    expect(r.campaignLabel).toBeUndefined();
    expect(r.validUntil).toBeUndefined();
    expect(OfferRequest.parse(r)).toEqual(r);
  });

  it('keeps the label within bounds for the longest name and step id', () => {
    const name = `${'x'.repeat(150)}😀${'y'.repeat(48)}`;
    const r = offerRequestOf(playbook({ name }), step(`z${'-'.repeat(62)}`), 'cust-1', NOW);
    expect(OfferRequest.safeParse(r).error?.issues).toBeUndefined();
  });

  it('always parses as an OfferRequest (property)', () => {
    const action = fc.oneof(
      fc.record({
        kind: fc.constantFrom('message', 'service', 'fee' as const),
        channel: fc.constantFrom('email', 'sms', 'phone' as const),
      }),
      fc.record({
        kind: fc.constantFrom('offer', 'upsell', 'cross-sell', 'retention' as const),
        channel: fc.constantFrom('email', 'in-app' as const),
        productId: fc.constantFrom('prod_QzC0ff33Sub000', 'COF-ETH-250'),
        productFamily: fc.option(fc.constant('coffee'), { nil: undefined }),
        validDays: fc.option(fc.integer({ min: 1, max: 365 }), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(
        action,
        fc.string({ minLength: 1, maxLength: 200, unit: 'grapheme' }).filter((s) => s.trim().length > 0 && !/\p{Cc}/u.test(s)),
        fc.option(fc.constant('01M8NYZ6SFZQ48EN3BA4EQW3N2'), { nil: undefined }),
        fc.date({ min: at('2001-01-01'), max: at('2098-01-01'), noInvalidDate: true }),
        (a, name, campaignId, now) => {
          const s: PlaybookStep = { id: 'step-1', delay: { days: 1 }, action: a };
          const p = playbook({ name: name.trim(), steps: [s], ...(campaignId ? { campaignId } : {}) });
          return OfferRequest.safeParse(offerRequestOf(p, s, 'cust-1', now)).success;
        },
      ),
    );
  });
});
