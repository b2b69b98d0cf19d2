import { DEFAULT_RULES, type RuleSetConfig } from './config.js';
import type { CustomerFacts } from './facts.js';
import { RULES } from './rules/index.js';
import type { FieldIssue } from '../errors.js';
import type { Decision, Evaluation, Finding, OfferRequest, RegisteredOffer } from './schema.js';

/**
 * Runs every enabled rule of the rule set against a proposed offer and aggregates the findings.
 *
 * - A rule's `severity` setting replaces the severity of its findings.
 * - A rule marked `overridable` (by default only high-value-penalty) whose finding is a block
 *   becomes a warning when the offer carries `override` with an actor and a reason (and, when the
 *   override lists `rules`, names the rule); the message says who overrode it and why, and the
 *   evidence records it. `overrideIssues` says which named rules are not overridable.
 * - Findings are sorted block first, then in rule order; the decision is the worst severity
 *   (allow when there are none).
 *
 * Pure and deterministic: no I/O, no clock (pass `now`), inputs are not modified. Expects a
 * parsed `OfferRequest`, facts built by the store and a parsed rule set (`parseRuleSet`).
 */
export function evaluateOffer(
  offer: OfferRequest,
  facts: CustomerFacts,
  activeOffers: readonly RegisteredOffer[],
  config: RuleSetConfig = DEFAULT_RULES,
  now: Date | string,
): Evaluation {
  const at = typeof now === 'string' ? new Date(now) : now;
  if (Number.isNaN(at.getTime())) throw new TypeError(`evaluateOffer: invalid now ${String(now)}`);
  const override = validOverride(offer);
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const settings = config.rules[rule.name];
    if (!settings.enabled) continue;
    for (const f of rule.check(offer, facts, activeOffers, config, at)) {
      const severity = settings.severity ?? f.severity;
      if (severity === 'block' && settings.overridable && override && (!override.rules || override.rules.includes(rule.name))) {
        findings.push({
          ...f,
          severity: 'warn',
          message: `${f.message} Overridden by ${override.actor}: "${override.reason}".`,
          evidence: { ...f.evidence, overridden: { actor: override.actor, reason: override.reason, severity: 'block' } },
        });
      } else {
        // A block says whether a person may accept it (POST /offers with an override), so a form
        // can offer the override only where it would be taken.
        findings.push(severity === 'block' ? { ...f, severity, overridable: settings.overridable } : { ...f, severity });
      }
    }
  }
  // Array.prototype.sort is stable: rule order is kept within each severity.
  findings.sort((a, b) => rank(b.severity) - rank(a.severity));
  return { decision: decide(findings), findings };
}

/** The worst severity of the findings; allow when there are none. */
export function decide(findings: readonly Pick<Finding, 'severity'>[]): Decision {
  if (findings.some((f) => f.severity === 'block')) return 'block';
  return findings.length ? 'warn' : 'allow';
}

const rank = (s: Finding['severity']) => (s === 'block' ? 1 : 0);

function validOverride(offer: OfferRequest): { actor: string; reason: string; rules?: readonly string[] } | undefined {
  const actor = offer.override?.actor?.trim();
  const reason = offer.override?.reason?.trim();
  const rules = offer.override?.rules;
  return actor && reason ? { actor, reason, ...(rules ? { rules } : {}) } : undefined;
}

/**
 * The rules an offer's `override.rules` names that the rule set does not let a person override,
 * one issue each (path `override.rules.<i>`): the service answers them with a 422 rather than
 * silently leaving the block in place. Empty when the override names no rules.
 */
export function overrideIssues(offer: Pick<OfferRequest, 'override'>, config: RuleSetConfig = DEFAULT_RULES): FieldIssue[] {
  return (offer.override?.rules ?? []).flatMap((name, i) =>
    config.rules[name].overridable
      ? []
      : [{ path: `override.rules.${i}`, message: `${name} cannot be overridden: the rule set does not make it overridable` }],
  );
}
