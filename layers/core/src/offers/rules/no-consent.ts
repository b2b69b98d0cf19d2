import type { ConsentChannelName } from '../facts.js';
import { day, finding, who, Who, type Rule } from './shared.js';

export const NO_CONSENT = 'no-consent';

const LABEL: Record<ConsentChannelName, string> = { email: 'Email', sms: 'SMS', phone: 'Phone' };
const CONSENT_CHANNELS: readonly string[] = ['email', 'sms', 'phone'] satisfies ConsentChannelName[];

/**
 * Contacting the customer on a channel they opted out of, or on an opt-in channel (default email
 * and sms) with no known opt-in. Channels without consent semantics (mail, branch, in-app) pass,
 * and so does phone without a stated choice (opt-out basis). Exempt kinds (default service and
 * legally required collection notices) pass even after an opt-out.
 */
export const noConsent: Rule = (offer, facts, _activeOffers, config) => {
  const cfg = config.rules[NO_CONSENT];
  if (cfg.exemptKinds.includes(offer.kind) || !CONSENT_CHANNELS.includes(offer.channel)) return [];
  const channel = offer.channel as ConsentChannelName;
  const consent = facts.consent[channel] ?? null;
  if (consent && !consent.granted) {
    return [
      finding(
        NO_CONSENT,
        'block',
        `${Who(facts)} opted out of ${channel} on ${day(consent.at)}${consent.source ? ` (via ${consent.source})` : ''}: contacting ${who(facts)} by ${channel} would go against that choice.`,
        { channel, granted: false, at: consent.at, ...(consent.source ? { source: consent.source } : {}) },
      ),
    ];
  }
  if (!consent && (cfg.optInChannels as readonly string[]).includes(channel)) {
    return [
      finding(
        NO_CONSENT,
        'block',
        `${LABEL[channel]} needs an opt-in and ${who(facts)} never gave one: there is no record of consent to contact ${who(facts)} by ${channel}.`,
        { channel, granted: null, optInRequired: true },
      ),
    ];
  }
  return [];
};
