import { FLAG_TYPES } from '../mining/types.js';
import {
  BoundedId,
  BoundedText,
  OFFER_CHANNELS,
  OFFER_KINDS,
  OFFER_LIMITS,
  OfferRequest,
  OfferTerms,
  SELLING_KINDS,
} from '../offers/schema.js';
import { z } from 'zod';

/**
 * The contract of playbooks: a trigger enrolls a customer, then each step, due a fixed delay after
 * the trigger's anchor time, proposes an action that is registered as an OfferRequest through the
 * normal checked path, unless one of the step's stop conditions holds. Playbooks are data: the
 * pure logic is in engine.ts.
 */

export const PLAYBOOK_LIMITS = {
  MAX_STEPS: 10,
  MAX_DELAY_DAYS: 730,
  MAX_VALID_DAYS: 365,
  MAX_STEP_ID_LENGTH: 63,
  // Every stop condition at most once.
  MAX_STOP_CONDITIONS: 3,
} as const;
const P = PLAYBOOK_LIMITS;

export const PLAYBOOK_TRIGGER_TYPES = ['flag', 'first-purchase', 'purchase', 'anniversary', 'date'] as const;
export type PlaybookTriggerType = (typeof PLAYBOOK_TRIGGER_TYPES)[number];

export const ANNIVERSARY_OF = ['first-purchase', 'membership'] as const;
export type AnniversaryOf = (typeof ANNIVERSARY_OF)[number];

export const STOP_CONDITIONS = ['purchased', 'responded', 'left-segment'] as const;
export type StopCondition = (typeof STOP_CONDITIONS)[number];

/** Days of each month, February counted as 29: a yearly date of 02-29 falls on 02-28 in other years. */
export const MAX_DAY_OF_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Kept out of messages whole: a huge misspelt field name should not be echoed back in full. */
const KEY_ECHO = OFFER_LIMITS.MAX_TERM_KEY_LENGTH;
/** Fields a patch cannot change: enrollments were made under them. */
const FIXED_FIELDS = new Set(['trigger', 'campaignId', 'playbookId', 'version', 'createdAt', 'updatedAt']);
const unknownFields = (iss: { code?: string; keys?: readonly string[] }) => {
  if (iss.code !== 'unrecognized_keys' || !iss.keys) return undefined;
  const names = iss.keys.slice(0, 5).map((k) => (k.length > KEY_ECHO ? `${k.slice(0, KEY_ECHO)}…` : k));
  return `unknown field${iss.keys.length > 1 ? 's' : ''} ${names.join(', ')}${iss.keys.length > 5 ? ` and ${iss.keys.length - 5} more` : ''}`;
};
const patchFields = (iss: { code?: string; keys?: readonly string[] }) => {
  const fixed = iss.code === 'unrecognized_keys' ? iss.keys?.filter((k) => FIXED_FIELDS.has(k)) : undefined;
  if (fixed?.length) return `${fixed.join(', ')} cannot change once a playbook exists (create a new playbook instead)`;
  return unknownFields(iss);
};
/** Refinements run even when other fields have issues, so that every error is listed at once; they read fields defensively. */
const RUN_ALWAYS = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null };
const strict = <S extends z.core.$ZodLooseShape>(shape: S) => z.strictObject(shape, { error: unknownFields });

// ---- triggers ----

const FlagTrigger = strict({
  type: z.literal('flag'),
  flagType: z.enum(FLAG_TYPES),
  segment: BoundedId.optional().meta({ description: 'Only customers the mining run put in this segment' }),
});
const FirstPurchaseTrigger = strict({ type: z.literal('first-purchase') });
const PurchaseTrigger = strict({
  type: z.literal('purchase'),
  productId: BoundedId.optional().meta({ description: "A line's productId or sku must equal it" }),
  productFamily: BoundedId.optional().meta({ description: "A line's category must equal it" }),
});
const AnniversaryTrigger = strict({
  type: z.literal('anniversary'),
  of: z.enum(ANNIVERSARY_OF).meta({ description: 'membership: the first subscription start' }),
});
const DateTrigger = strict({
  type: z.literal('date'),
  month: z.number().int().min(1).max(12),
  day: z.number().int().min(1).max(31),
  segment: BoundedId.optional(),
}).superRefine((t, ctx) => {
  const max = MAX_DAY_OF_MONTH[t.month - 1];
  // Runs even when month or day has an issue of its own: add one only for a day valid in some month.
  if (max !== undefined && Number.isInteger(t.month) && Number.isInteger(t.day) && t.day <= 31 && t.day > max) {
    ctx.addIssue({ code: 'custom', path: ['day'], message: `must be at most ${max} in month ${t.month}` });
  }
}, RUN_ALWAYS);

export const PlaybookTrigger = z
  .discriminatedUnion('type', [FlagTrigger, FirstPurchaseTrigger, PurchaseTrigger, AnniversaryTrigger, DateTrigger])
  .meta({
    id: 'PlaybookTrigger',
    description:
      'What enrolls a customer: a mining flag (optionally in a segment), the first purchase, a purchase (optionally of a product, by productId or sku, or of a product family, by category), the yearly anniversary of the first purchase or membership, or a yearly date (02-29 falls on 02-28 in other years).',
  });
export type PlaybookTrigger = z.infer<typeof PlaybookTrigger>;

// ---- steps ----

const PlaybookActionBase = strict({
  kind: z.enum(OFFER_KINDS),
  channel: z.enum(OFFER_CHANNELS),
  productId: BoundedId.optional(),
  productFamily: BoundedId.optional(),
  terms: OfferTerms.optional(),
  template: BoundedId.optional().meta({ description: 'A template reference the subscriber resolves: Patron sends nothing itself' }),
  validDays: z
    .number()
    .int()
    .min(1)
    .max(P.MAX_VALID_DAYS)
    .optional()
    .meta({ description: 'The offer is valid this many days from the step firing (validUntil)' }),
});

export const PlaybookAction = PlaybookActionBase.superRefine((a, ctx) => {
  // The same rule as OfferRequest: caught when the playbook is saved rather than at every firing.
  if ((SELLING_KINDS as readonly string[]).includes(a.kind) && !a.productId) {
    ctx.addIssue({ code: 'custom', path: ['productId'], message: `is required for kind ${a.kind}` });
  }
}, RUN_ALWAYS).meta({
  id: 'PlaybookAction',
  description: `The offer a step proposes, registered as an OfferRequest; productId is required for kinds ${SELLING_KINDS.join(', ')}.`,
});
export type PlaybookAction = z.infer<typeof PlaybookAction>;

export const STEP_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const PlaybookDelay = strict({
  days: z.number().int().min(0).max(P.MAX_DELAY_DAYS),
  hours: z.number().int().min(0).max(23).optional(),
}).meta({ id: 'PlaybookDelay', description: "Time from the trigger's anchor to the step" });
export type PlaybookDelay = z.infer<typeof PlaybookDelay>;

export const PlaybookStep = strict({
  id: z
    .string()
    // The pattern bounds the length (MAX_STEP_ID_LENGTH).
    .regex(STEP_ID, 'must be lowercase letters, digits and hyphens, starting with a letter or digit (at most 63)')
    .meta({ description: 'Unique in the playbook; a customer gets each step id at most once, even across edits' }),
  delay: PlaybookDelay,
  action: PlaybookAction,
  stopIf: z
    .array(z.enum(STOP_CONDITIONS))
    .max(P.MAX_STOP_CONDITIONS)
    .refine((c) => new Set(c).size === c.length, 'must not repeat a condition')
    .optional()
    .meta({ description: 'The step (and the enrollment) stops if any of these holds when it is due' }),
}).meta({ id: 'PlaybookStep' });
export type PlaybookStep = z.infer<typeof PlaybookStep>;

const delayHours = (d: PlaybookDelay) => d.days * 24 + (d.hours ?? 0);

/** Ids unique and delays non-decreasing, checked even when other fields have errors so that all are listed. */
const PlaybookSteps = z
  .array(PlaybookStep)
  .min(1)
  .max(P.MAX_STEPS)
  .superRefine(
    (steps, ctx) => {
      const seen = new Set<string>();
      let previous = -1;
      // Elements may be malformed here (the refinement runs regardless): read them defensively.
      steps.forEach((s: Partial<PlaybookStep> | undefined, i) => {
        if (typeof s?.id === 'string') {
          if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `repeats step id ${s.id}` });
          seen.add(s.id);
        }
        // A delay with issues of its own is not compared (one error per mistake).
        const d = PlaybookDelay.safeParse(s?.delay);
        if (d.success) {
          const h = delayHours(d.data);
          if (h < previous)
            ctx.addIssue({ code: 'custom', path: [i, 'delay'], message: 'must not be shorter than the previous step’s delay' });
          previous = Math.max(previous, h);
        }
      });
    },
    { when: (payload) => Array.isArray(payload.value) },
  );

// ---- playbooks ----

const createFields = {
  name: BoundedId,
  description: BoundedText.optional(),
  enabled: z.boolean().default(true),
  // Reused from OfferRequest so a playbook's campaign id is normalised and checked alike.
  campaignId: OfferRequest.shape.campaignId,
  trigger: PlaybookTrigger,
  steps: PlaybookSteps,
};

export const PlaybookCreate = strict(createFields).meta({
  id: 'PlaybookCreate',
  description: `A trigger and 1 to ${P.MAX_STEPS} steps with unique ids, in order of non-decreasing delay (at most ${P.MAX_DELAY_DAYS} days). enabled defaults to true.`,
});
/** A playbook as parsed (enabled filled in). */
export type PlaybookCreate = z.infer<typeof PlaybookCreate>;
/** A playbook as posted (enabled optional). */
export type PlaybookCreateInput = z.input<typeof PlaybookCreate>;

export const PlaybookPatch = z
  .strictObject(
    {
      name: BoundedId.optional(),
      description: BoundedText.optional(),
      enabled: z.boolean().optional(),
      steps: PlaybookSteps.optional(),
    },
    { error: patchFields },
  )
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'must change at least one of name, description, enabled, steps')
  .meta({
    id: 'PlaybookPatch',
    description:
      'Changes name, description, enabled or steps; trigger and campaignId cannot change. Steps are replaced whole; a customer never gets a step id twice.',
  });
export type PlaybookPatch = z.infer<typeof PlaybookPatch>;

export interface StoredPlaybook extends Omit<PlaybookCreate, 'enabled'> {
  playbookId: string;
  enabled: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A playbook as the store keeps it (responses). */
export const StoredPlaybookSchema = z
  .object({
    playbookId: z.string(),
    name: z.string(),
    description: z.string().optional(),
    enabled: z.boolean(),
    campaignId: z.string().optional(),
    trigger: PlaybookTrigger,
    steps: z.array(PlaybookStep),
    version: z.number().int().meta({ description: 'Incremented by every change' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'StoredPlaybook' });

// Fails the typecheck if the schema and the interface drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameShape: Same<keyof z.infer<typeof StoredPlaybookSchema>, keyof StoredPlaybook> = true;
void _sameShape;
