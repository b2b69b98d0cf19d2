import { finding, Who, type Rule } from './shared.js';

export const HOLDOUT = 'holdout';

/**
 * An offer or action under a campaign (`campaignId`) to a customer the campaign holds out (its
 * control group): contacting them would spoil the measurement of the campaign. The store assigns
 * a customer not yet assigned before the check (facts.campaignAssignments); an offer without a
 * campaign, or under a campaign the customer is in the treatment group of, is not affected.
 * Never overridable: a held-out customer contacted "just this once" is no longer a control.
 */
export const holdout: Rule = (offer, facts) => {
  if (!offer.campaignId) return [];
  const assignment = facts.campaignAssignments?.find((a) => a.campaignId === offer.campaignId);
  if (assignment?.group !== 'control') return [];
  const campaign = assignment.campaignName ? `"${assignment.campaignName}" (${assignment.campaignId})` : assignment.campaignId;
  return [
    finding(
      HOLDOUT,
      'block',
      `${Who(facts)} ${assignment.assignedAt ? `is in the control group of campaign ${campaign} since ${assignment.assignedAt}` : `would be in the control group of campaign ${campaign}`}: ` +
        'the campaign must not contact them, or its effect can no longer be measured.',
      {
        campaignId: assignment.campaignId,
        group: assignment.group,
        ...(assignment.assignedAt ? { assignedAt: assignment.assignedAt } : {}),
      },
    ),
  ];
};
