import type { Touchpoint } from '../touchpoint.js';
import { SUBSCRIPTION_SEPARATOR } from '../customers/profile.js';
import type { UpdateBuilder } from '../store/update-builder.js';

/**
 * Adds one touchpoint's contribution to the profile aggregates. Every part is commutative
 * (sums, set unions), so the same touchpoints in any order give the same profile.
 *
 * `capped`: only the bounded parts (counts, sums, the per-currency and per-type maps), none of
 * the collections that grow with every new product, category, ticket or subscription. Used once a
 * profile is too large for DynamoDB to grow (400 KB): the touchpoint is still stored and counted,
 * and the profile says `aggregatesCapped`.
 */
export function applyTouchpoint(u: UpdateBuilder, tp: Touchpoint, opts: { capped?: boolean } = {}): UpdateBuilder {
  if (opts.capped) return applyBounded(u.set('aggregatesCapped', true), tp);
  u.add('touchpointCount', 1).addToMap('typeCounts', tp.type, 1);
  switch (tp.type) {
    case 'purchase': {
      u.add('purchaseCount', 1).addToMap('revenue', tp.data.currency, tp.data.totalMinor);
      const perCategory = new Map<string, number>();
      for (const item of tp.data.items) {
        perCategory.set(item.category, (perCategory.get(item.category) ?? 0) + item.quantity);
      }
      for (const [category, qty] of perCategory) u.addToMap('categoryQuantities', category, qty);
      u.addToSet(
        'ownedProducts',
        tp.data.items.flatMap((i) => (i.productId ? [i.productId, i.sku] : [i.sku])),
      );
      break;
    }
    case 'refund':
      u.add('refundCount', 1).addToMap('refunded', tp.data.currency, tp.data.amountMinor);
      break;
    case 'ticket_opened':
      u.addToSet('openedTicketIds', [tp.data.ticketId]);
      if (tp.data.complaint) u.addToSet('complaintTicketIds', [tp.data.ticketId]);
      break;
    case 'ticket_solved':
      u.addToSet('solvedTicketIds', [tp.data.ticketId]);
      break;
    case 'satisfaction_rated':
      u.add('ratingSum', tp.data.score).add('ratingCount', 1);
      break;
    case 'subscription_started':
      u.addToSet('startedSubscriptions', [`${tp.data.subscriptionId}${SUBSCRIPTION_SEPARATOR}${tp.data.productId}`]);
      // Start dates kept apart (a set, so commutative): the offer rules need "member since".
      u.addToSet('subscriptionStarts', [`${tp.data.subscriptionId}${SUBSCRIPTION_SEPARATOR}${tp.occurredAt}`]);
      break;
    case 'subscription_cancelled':
      u.addToSet('cancelledSubscriptions', [tp.data.subscriptionId]);
      break;
    case 'payment_failed':
      u.add('paymentFailureCount', 1);
      break;
    default:
      break;
  }
  return u;
}

/** The parts of applyTouchpoint whose size does not grow with the customer's history. */
function applyBounded(u: UpdateBuilder, tp: Touchpoint): UpdateBuilder {
  u.add('touchpointCount', 1).addToMap('typeCounts', tp.type, 1);
  if (tp.type === 'purchase') u.add('purchaseCount', 1).addToMap('revenue', tp.data.currency, tp.data.totalMinor);
  else if (tp.type === 'refund') u.add('refundCount', 1).addToMap('refunded', tp.data.currency, tp.data.amountMinor);
  else if (tp.type === 'satisfaction_rated') u.add('ratingSum', tp.data.score).add('ratingCount', 1);
  else if (tp.type === 'payment_failed') u.add('paymentFailureCount', 1);
  return u;
}
