/**
 * Offer rules engine: checks a proposed offer or action against the customer's facts and active
 * offers and says, in words, why it should be blocked or reconsidered. Pure: the store, the atomic
 * registration and the HTTP API build on it.
 */
export {
  OFFER_KINDS,
  SELLING_KINDS,
  PENALTY_KINDS,
  OFFER_CHANNELS,
  OFFER_STATUSES,
  SEVERITIES,
  OFFER_LIMITS,
  BoundedId,
  BoundedText,
  IsoDate,
  OfferTerms,
  OfferOverride,
  OfferRequest,
  RegisteredOffer,
  Severity,
  Finding,
  Decision,
  Evaluation,
  windowStart,
  windowEnd,
  type OfferKind,
  type OfferChannel,
  type OfferStatus,
} from './schema.js';
export {
  factsFromCustomer360,
  type CustomerFacts,
  type ConsentChannelName,
  type ConsentFact,
  type MiningFact,
  type RecentContact,
  type FactsExtras,
  type CampaignAssignmentFact,
} from './facts.js';
export { RULE_NAMES, RuleSetConfig, DEFAULT_RULES, parseRuleSet, type RuleName, type RuleSetInput, type RuleConfig } from './config.js';
export { evaluateOffer, decide, overrideIssues } from './engine.js';
export {
  RULES,
  conflictingTerms,
  duplicateOffer,
  alreadyOwned,
  highValuePenalty,
  serviceTierMismatch,
  sellAfterComplaint,
  contactFatigue,
  noConsent,
  quietPeriod,
  exclusiveOffers,
  staleProfile,
  holdout,
  type Rule,
} from './rules/index.js';
export { RULE_DOCS, ruleDocsMarkdown, type RuleDoc } from './docs.js';
