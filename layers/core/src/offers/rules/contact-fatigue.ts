import { day, finding, ordinal, who, withinDays, type Rule } from './shared.js';

export const CONTACT_FATIGUE = 'contact-fatigue';

/**
 * Too many contacts: counting registered offers and messaging touchpoints in the last `windowDays`
 * days plus this one, more than `perChannel` on this channel (or its `channelLimits` entry) or
 * more than `total` over all channels blocks. Exempt kinds (service, collection) pass and are not
 * limited, though they count when they appear in the history.
 */
export const contactFatigue: Rule = (offer, facts, _activeOffers, config, now) => {
  const cfg = config.rules[CONTACT_FATIGUE];
  if (cfg.exemptKinds.includes(offer.kind)) return [];
  const inWindow = facts.recentContacts
    .filter((c) => withinDays(c.at, cfg.windowDays, now))
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  const sameChannel = inWindow.filter((c) => c.channel === offer.channel);
  const channelLimit = cfg.channelLimits[offer.channel] ?? cfg.perChannel;
  const channelCount = sameChannel.length + 1;
  const totalCount = inWindow.length + 1;
  const overChannel = channelCount > channelLimit;
  const overTotal = totalCount > cfg.total;
  if (!overChannel && !overTotal) return [];

  const shown = (overChannel ? sameChannel : inWindow).slice(0, 10);
  const dates = shown.map((c) => `${day(c.at)}${overChannel ? '' : ` by ${c.channel}`}`).join(', ');
  const sentence = overChannel
    ? `This would be the ${ordinal(channelCount)} ${offer.channel} contact with ${who(facts)} in ${cfg.windowDays} days (limit ${channelLimit} per channel)`
    : `This would be the ${ordinal(totalCount)} contact with ${who(facts)} in ${cfg.windowDays} days over all channels (limit ${cfg.total})`;
  const both = overChannel && overTotal ? `, and the ${ordinal(totalCount)} over all channels (limit ${cfg.total})` : '';
  return [
    finding(CONTACT_FATIGUE, 'block', `${sentence}${both}; earlier: ${dates || 'none'}. Too many contacts wear the customer out.`, {
      channel: offer.channel,
      windowDays: cfg.windowDays,
      channelCount,
      channelLimit,
      totalCount,
      totalLimit: cfg.total,
      contacts: shown,
    }),
  ];
};
