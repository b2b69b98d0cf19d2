import type { Touchpoint } from '../touchpoint.js';
import { SUBSCRIPTION_SEPARATOR } from '../customers/profile.js';
import type { UpdateBuilder } from '../store/update-builder.js';

/**
 * Adds one touchpoint's contribution to the profile aggregates. Every part is commutative
 * (sums, set unions), so the same touchpoints in any order give the same profile.
 */
export function applyTouchpoint(u: UpdateBuilder, tp: Touchpoint): UpdateBuilder {
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
