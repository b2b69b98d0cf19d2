import type { RuleName } from '../config.js';
import type { Severity } from '../schema.js';
import { alreadyOwned } from './already-owned.js';
import { conflictingTerms } from './conflicting-terms.js';
import { contactFatigue } from './contact-fatigue.js';
import { duplicateOffer } from './duplicate-offer.js';
import { exclusiveOffers } from './exclusive-offers.js';
import { highValuePenalty } from './high-value-penalty.js';
import { holdout } from './holdout.js';
import { noConsent } from './no-consent.js';
import { quietPeriod } from './quiet-period.js';
import { sellAfterComplaint } from './sell-after-complaint.js';
import { serviceTierMismatch } from './service-tier-mismatch.js';
import type { Rule } from './shared.js';
import { staleProfile } from './stale-profile.js';

export type { Rule } from './shared.js';
export {
  alreadyOwned,
  conflictingTerms,
  contactFatigue,
  duplicateOffer,
  exclusiveOffers,
  highValuePenalty,
  holdout,
  noConsent,
  quietPeriod,
  sellAfterComplaint,
  serviceTierMismatch,
  staleProfile,
};

/** Every rule in evaluation (and report) order, with the severity it reports by default. */
export const RULES: readonly { name: RuleName; defaultSeverity: Severity; check: Rule }[] = [
  { name: 'conflicting-terms', defaultSeverity: 'block', check: conflictingTerms },
  { name: 'duplicate-offer', defaultSeverity: 'block', check: duplicateOffer },
  { name: 'already-owned', defaultSeverity: 'block', check: alreadyOwned },
  { name: 'high-value-penalty', defaultSeverity: 'block', check: highValuePenalty },
  { name: 'service-tier-mismatch', defaultSeverity: 'warn', check: serviceTierMismatch },
  { name: 'sell-after-complaint', defaultSeverity: 'warn', check: sellAfterComplaint },
  { name: 'contact-fatigue', defaultSeverity: 'block', check: contactFatigue },
  { name: 'no-consent', defaultSeverity: 'block', check: noConsent },
  { name: 'quiet-period', defaultSeverity: 'warn', check: quietPeriod },
  { name: 'exclusive-offers', defaultSeverity: 'block', check: exclusiveOffers },
  { name: 'stale-profile', defaultSeverity: 'warn', check: staleProfile },
  { name: 'holdout', defaultSeverity: 'block', check: holdout },
];
