import { DEFAULT_RULES, type RuleName } from './config.js';
import { RULES } from './rules/index.js';
import type { Severity } from './schema.js';

export interface RuleDoc {
  rule: RuleName;
  /** What the rule checks. */
  checks: string;
  /** Default severity. */
  severity: Severity;
  /** Default settings, rendered from DEFAULT_RULES (so they cannot drift from the code). */
  defaults: string;
  /** The classic mistake it prevents. */
  prevents: string;
}

const TEXT: Record<RuleName, { checks: string; prevents: string }> = {
  'conflicting-terms': {
    checks: 'Another active offer to the customer for the same product or product family with a different price or terms.',
    prevents: 'Two employees offering the same customer the same mortgage at two different prices.',
  },
  'duplicate-offer': {
    checks: 'The same offer (kind, product, terms) is already active, from any team or channel.',
    prevents: 'The customer receiving the same offer twice from two campaigns.',
  },
  'already-owned': {
    checks: 'Selling a product, subscription or membership the customer already holds (by product id or family).',
    prevents: 'Inviting a member of 33 years to become a member.',
  },
  'high-value-penalty': {
    checks:
      'A penalty, fee or collection against a top-tier customer (top CLV tier, CLV/revenue threshold or top segment); a person may override with a reason.',
    prevents: 'A bank fining its largest depositor for a late loan payment.',
  },
  'service-tier-mismatch': {
    checks: 'Standard service (or a standard-tier offer) for a top-tier customer where a premium variant exists; suggests the variant.',
    prevents: 'A VIP abroad getting the ordinary service.',
  },
  'sell-after-complaint': {
    checks:
      'An up-sell or cross-sell to a customer with an open ticket, a recent complaint or low rating, or a high churn risk; suggests retention.',
    prevents: 'Pitching an upgrade the day after the customer complained.',
  },
  'contact-fatigue': {
    checks: 'Too many contacts per channel and in total in a rolling window, counting registered offers and messages plus this one.',
    prevents: 'Three teams emailing the same customer in one week.',
  },
  'no-consent': {
    checks: 'The customer opted out of the channel, or the channel needs an opt-in and none is known.',
    prevents: 'Emailing someone who unsubscribed.',
  },
  'quiet-period': {
    checks: 'A sales contact within the quiet period after a complaint, a payment failure or a cancellation.',
    prevents: 'A cross-sell call the week a payment bounced.',
  },
  'exclusive-offers': {
    checks: 'Another active offer in the same exclusion group, or two discounts on one product that must not stack.',
    prevents: 'Granting two non-combinable discounts on the same product.',
  },
  'stale-profile': {
    checks: "The customer's data or mining scores are older than allowed, or the last mining run failed.",
    prevents: 'Acting on an outdated database (worse than none).',
  },
  holdout: {
    checks:
      "An offer or action under a campaign (campaignId) to a customer in that campaign's control group; a customer not yet assigned is assigned first. Never overridable.",
    prevents: 'Contacting the control group, so the campaign can no longer be measured against it.',
  },
};

function render(value: unknown): string {
  if (Array.isArray(value)) return value.length ? value.join(', ') : 'none';
  if (value === null) return 'off';
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length ? entries.map(([k, v]) => `${k} ${render(v)}`).join(', ') : 'none';
  }
  return String(value);
}

function defaultsOf(rule: RuleName): string {
  const { enabled, severity: _severity, overridable, ...thresholds } = DEFAULT_RULES.rules[rule];
  const parts = [
    enabled ? 'on' : 'off',
    ...(overridable ? ['overridable'] : []),
    ...Object.entries(thresholds).map(([k, v]) => `${k}: ${render(v)}`),
  ];
  if (rule === 'high-value-penalty' || rule === 'service-tier-mismatch') {
    parts.push(...Object.entries(DEFAULT_RULES.highValue).map(([k, v]) => `highValue.${k}: ${render(v)}`));
  }
  return parts.join('; ');
}

/** One line per rule, in evaluation order: for the README table and the API docs. */
export const RULE_DOCS: readonly RuleDoc[] = RULES.map(({ name, defaultSeverity }) => ({
  rule: name,
  checks: TEXT[name].checks,
  severity: defaultSeverity,
  defaults: defaultsOf(name),
  prevents: TEXT[name].prevents,
}));

/** RULE_DOCS as a Markdown table (| Rule | Checks | Default | Prevents |). */
export function ruleDocsMarkdown(docs: readonly RuleDoc[] = RULE_DOCS): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  return [
    '| Rule | Checks | Default | Prevents |',
    '| --- | --- | --- | --- |',
    ...docs.map((d) => `| \`${d.rule}\` | ${cell(d.checks)} | ${d.severity}; ${cell(d.defaults)} | ${cell(d.prevents)} |`),
  ].join('\n');
}
