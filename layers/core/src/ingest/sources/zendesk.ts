import { NameText, Text, textOf } from './fields.js';
import { z } from 'zod';
import { SignatureError } from '../../errors.js';
import { BOUNDS, IsoDateTime, PlausibleDateTime, type CustomerRef } from '../../touchpoint.js';
import { assertEventId, fieldError, parsePayload, toTouchpoint } from './generic.js';
import { anyMatch, assertFresh, getHeader, hmacSha256Base64, requireHeader, usableSecrets } from './hmac.js';
import type { Adapted, Headers, SourceAdapter } from './types.js';

/*
 * Zendesk webhooks. Signature: `X-Zendesk-Webhook-Signature` is the base64 HMAC-SHA256 of
 * `timestamp + body` (no separator) keyed with the webhook's signing secret, where timestamp is
 * the `X-Zendesk-Webhook-Signature-Timestamp` header exactly as sent (ISO 8601, e.g.
 * `2024-04-17T17:18:10Z`). Timestamps more than 5 minutes away from now are rejected.
 *
 * Payloads are Zendesk's event-subscription envelope:
 *   { type: "zen:event-type:ticket.created", id, time, account_id, subject: "zen:ticket:35436",
 *     detail: { id, requester_id, subject, priority, status, type, tags, ... }, event: { ... } }
 * Mapped:
 *   zen:event-type:ticket.created                       -> ticket_opened
 *   zen:event-type:ticket.status_changed to SOLVED      -> ticket_solved (other statuses ignored)
 *   patron:ticket.satisfaction_rated (trigger, below)   -> satisfaction_rated
 *   zen:event-type:user.created                         -> profile_updated (end users only)
 *   zen:event-type:user.identity_created / _changed     -> profile_updated, when the identity is
 *                                                          the user's primary email (else ignored)
 *
 * Complaints: a ticket is a complaint when it carries the tag `complaint` (or `complaints`).
 * Ticket type (question/incident/problem/task) and priority say how urgent or what kind of work
 * a ticket is, not that the customer is complaining, so they are deliberately not used.
 *
 * Satisfaction: Zendesk's event catalogue has no satisfaction-rating event, so ratings arrive
 * through a trigger ("Satisfaction changed") connected to the same webhook, whose JSON body is
 * ours to define. It uses the same envelope so one parser serves both; see
 * SATISFACTION_TRIGGER_BODY. `{{satisfaction.current_rating}}` renders as text starting with
 * "Good" or "Bad" (scored 5 and 1); a numeric 1-5 `score` (newer CSAT scales) is used as is.
 * Trigger bodies carry no event id, so the body carries the ticket's update time
 * (`{{ticket.updated_at_with_timestamp}}`) and the dedupe key is ticket + that time: stable across
 * Zendesk's retries, unlike the signature timestamp, which is new on every attempt.
 *
 * Identity: the ticket event payloads carry only `requester_id` (used as externalId); the
 * requester's email is used when present (the satisfaction trigger body includes it). User events
 * are what links the two: their envelope has `subject: "zen:user:<id>"` and a `detail` holding
 * the user's `id`, `email`, `external_id`, `role`, `organization_id`, `default_group_id`,
 * `created_at` and `updated_at` (no name: Zendesk's user event detail does not carry one, so these
 * touchpoints set no first or last name). user.created gives { email, externalId: id }, so the
 * requester id of later tickets resolves to the customer the email already belongs to. The
 * identity events carry the identity in `event` ({ identity } when created, { current, previous }
 * when changed; each { id, type, value, primary }); only a primary email identity is mapped, with
 * its value as the email. Agents and admins are staff, not customers: their user events are
 * ignored. Zendesk's event reference spells a few user types `zen:event-type/user...`; both
 * spellings are accepted. Dedupe key: the event id.
 */

export const SATISFACTION_TRIGGER_TYPE = 'patron:ticket.satisfaction_rated';

/** The JSON body to give the Zendesk trigger that forwards satisfaction ratings. */
export const SATISFACTION_TRIGGER_BODY = `{
  "type": "${SATISFACTION_TRIGGER_TYPE}",
  "subject": "zen:ticket:{{ticket.id}}",
  "time": "{{ticket.updated_at_with_timestamp}}",
  "detail": {
    "id": "{{ticket.id}}",
    "requester_id": "{{ticket.requester.id}}",
    "requester_email": "{{ticket.requester.email}}"
  },
  "event": {
    "rating": "{{satisfaction.current_rating}}",
    "comment": "{{satisfaction.current_comment}}"
  }
}`;

const TICKET_CREATED = 'zen:event-type:ticket.created';
const STATUS_CHANGED = 'zen:event-type:ticket.status_changed';
const USER_CREATED = 'zen:event-type:user.created';
const USER_IDENTITY_CREATED = 'zen:event-type:user.identity_created';
const USER_IDENTITY_CHANGED = 'zen:event-type:user.identity_changed';

/** The event id (`id`), used as the dedupe key: at most 255 characters. */
const EventId = textOf(BOUNDS.maxIdLength);
/** Instants that become occurredAt: [2000-01-01, now + 1 day]. */
const Instant = PlausibleDateTime;
/** Zendesk sends ids as strings of digits in event payloads, numbers elsewhere. */
/**
 * A JSON integer id. Not `.int()`: zod's int rejects values beyond 2^53, and ids that large do
 * occur (JSON.parse rounds them, consistently, so they still identify their object).
 */
const WholeNumber = z.number().nonnegative().refine(Number.isInteger, 'must be a whole number');
const Id = z
  .union(
    [
      z.string().trim().max(BOUNDS.maxIdLength, `must be at most ${BOUNDS.maxIdLength} characters`).regex(/^\d+$/, 'must be a numeric id'),
      WholeNumber,
    ],
    {
      error: 'must be a numeric id',
    },
  )
  .transform(String);
/** Optional id: "" (an empty placeholder in a trigger body) counts as absent. */
const OptionalId = z.preprocess((v) => (v === '' ? undefined : v), Id.nullish());

const Detail = z.looseObject({
  id: Id,
  requester_id: OptionalId,
  requester_email: Text,
  subject: Text,
  priority: NameText,
  status: NameText,
  tags: z
    .array(z.string().max(BOUNDS.maxNameLength, `must be at most ${BOUNDS.maxNameLength} characters`))
    .max(1000)
    .nullish(),
  created_at: Instant.nullish(),
  updated_at: Instant.nullish(),
});

const Envelope = z.looseObject({
  type: z.string().min(1),
  id: EventId,
  time: Instant.nullish(),
  detail: Detail,
  event: z.looseObject({}).nullish(),
});

const StatusEvent = z.looseObject({ current: z.string().min(1).max(BOUNDS.maxNameLength), previous: Text });

/** `detail` of a user event: a subset of the user resource, ids as strings. */
const UserDetail = z.looseObject({
  id: Id,
  email: Text,
  role: NameText,
  created_at: Instant.nullish(),
  updated_at: Instant.nullish(),
});

const UserEnvelope = z.looseObject({
  type: z.string().min(1),
  id: EventId,
  time: Instant.nullish(),
  detail: UserDetail,
});

/** A user identity as the identity events carry it. */
const Identity = z.looseObject({
  type: z.string().trim().min(1),
  value: Text,
  primary: z.boolean().nullish(),
});
const IdentityCreatedEvent = z.looseObject({ event: z.looseObject({ identity: Identity }) });
const IdentityChangedEvent = z.looseObject({ event: z.looseObject({ current: Identity, previous: Identity.nullish() }) });

/** Roles that make a Zendesk user staff rather than a customer. */
const STAFF_ROLES = new Set(['agent', 'admin']);

const SatisfactionEvent = z.looseObject({
  score: z.union([z.number(), z.string().max(BOUNDS.maxTextLength)]).nullish(),
  rating: z.union([z.number(), z.string().max(BOUNDS.maxTextLength)]).nullish(),
  comment: Text,
});

/** Ratings that mean "no rating given yet" rather than a verdict. */
const NOT_RATED = /^(offered|unoffered)\b/i;

const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A 1-5 score from `score` (preferred) or `rating`; undefined when the ticket is not rated yet. */
function satisfactionScore(e: z.output<typeof SatisfactionEvent>): number | undefined {
  const [raw, path] = blank(e.score) ? [e.rating, 'event.rating'] : [e.score, 'event.score'];
  if (blank(raw)) return fieldError('event.rating', 'is required');
  const value = typeof raw === 'string' ? raw.trim() : raw;
  if (typeof value === 'string') {
    if (NOT_RATED.test(value)) return undefined;
    if (/^good\b/i.test(value)) return 5;
    if (/^bad\b/i.test(value)) return 1;
  }
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : Number.NaN;
  if (Number.isInteger(n) && n >= 1 && n <= 5) return n;
  return fieldError(path, 'must be good, bad or a whole score from 1 to 5');
}

function requester(detail: z.output<typeof Detail>): CustomerRef {
  if (!detail.requester_email && !detail.requester_id) {
    fieldError('detail.requester_id', 'ticket names no requester (requester_id or requester_email)');
  }
  return {
    ...(detail.requester_email ? { email: detail.requester_email } : {}),
    ...(detail.requester_id ? { externalId: detail.requester_id } : {}),
  };
}

const isComplaint = (tags: readonly string[] | null | undefined) => (tags ?? []).some((t) => /^complaints?$/i.test(t.trim()));

function eventIdOf(id: string | undefined, headers: Headers): string {
  const eventId = id ?? getHeader(headers, 'x-zendesk-webhook-invocation-id')?.trim();
  if (!eventId) return fieldError('id', 'is required (or the x-zendesk-webhook-invocation-id header)');
  return assertEventId(eventId, id ? 'id' : 'headers.x-zendesk-webhook-invocation-id');
}

/** The user's email and Zendesk id: what links the requester id of tickets to the person. */
function userRef(userId: string, email: string | undefined): CustomerRef {
  return { ...(email ? { email } : {}), externalId: userId };
}

/** `zen:event-type/user.x` (as Zendesk's reference spells some types) read as `zen:event-type:user.x`. */
const canonicalType = (type: string) => type.replace(/^zen:event-type\//, 'zen:event-type:');

function adaptUserEvent(type: string, payload: unknown, headers: Headers): Adapted {
  const p = parsePayload(UserEnvelope, payload, 'Zendesk user event');
  const d = p.detail;
  const role = d.role?.toLowerCase();
  if (role && STAFF_ROLES.has(role)) {
    return { kind: 'ignored', eventType: type, reason: `user ${d.id} is ${role === 'admin' ? 'an admin' : 'an agent'}, not a customer` };
  }
  const kind = canonicalType(type);
  if (kind === USER_CREATED) {
    return result(type, eventIdOf(p.id, headers), {
      type: 'profile_updated',
      occurredAt: d.created_at ?? p.time,
      customer: userRef(d.id, d.email),
      data: { role },
    });
  }
  const identity =
    kind === USER_IDENTITY_CREATED
      ? parsePayload(IdentityCreatedEvent, payload, 'Zendesk identity event').event.identity
      : parsePayload(IdentityChangedEvent, payload, 'Zendesk identity event').event.current;
  const path = kind === USER_IDENTITY_CREATED ? 'event.identity' : 'event.current';
  if (identity.type.toLowerCase() !== 'email' || !identity.primary) {
    const what = identity.primary ? `a primary ${identity.type}` : `a secondary ${identity.type}`;
    return { kind: 'ignored', eventType: type, reason: `identity is ${what} identity, not the primary email` };
  }
  if (!identity.value) return fieldError(`${path}.value`, 'is required for an email identity');
  return result(type, eventIdOf(p.id, headers), {
    type: 'profile_updated',
    occurredAt: p.time ?? d.updated_at,
    customer: userRef(d.id, identity.value),
    data: { role, primaryEmail: kind === USER_IDENTITY_CREATED ? 'added' : 'changed' },
  });
}

const result = (eventType: string, dedupeKey: string, candidate: unknown): Adapted => ({
  kind: 'touchpoint',
  eventType,
  dedupeKey,
  touchpoint: toTouchpoint(candidate, 'touchpoint'),
});

/** Parses the signature timestamp strictly as ISO 8601; NaN when it is not one. */
function parseIsoTimestamp(value: string): number {
  return IsoDateTime.safeParse(value).success ? Date.parse(value) : Number.NaN;
}

export const zendeskAdapter: SourceAdapter = {
  name: 'zendesk',

  verify(rawBody: string, headers: Headers, secrets: readonly string[], now: Date): void {
    const keys = usableSecrets(secrets, 'zendesk');
    const signature = requireHeader(headers, 'x-zendesk-webhook-signature');
    const timestamp = requireHeader(headers, 'x-zendesk-webhook-signature-timestamp');
    assertFresh(parseIsoTimestamp(timestamp), now);
    const signed = timestamp + rawBody;
    if (
      !anyMatch(
        keys.map((k) => hmacSha256Base64(k, signed)),
        [signature],
      )
    ) {
      throw new SignatureError('Zendesk signature does not match');
    }
  },

  adapt(payload: unknown, headers: Headers): Adapted {
    const envelope = z.looseObject({ type: z.string().min(1) });
    const { type } = parsePayload(envelope, payload, 'Zendesk event');

    switch (canonicalType(type)) {
      case TICKET_CREATED: {
        const p = parsePayload(Envelope, payload, 'Zendesk ticket event');
        const d = p.detail;
        return result(type, eventIdOf(p.id, headers), {
          type: 'ticket_opened',
          occurredAt: d.created_at ?? p.time,
          customer: requester(d),
          data: {
            ticketId: d.id,
            subject: d.subject,
            priority: d.priority?.toLowerCase(),
            complaint: isComplaint(d.tags),
          },
        });
      }

      case STATUS_CHANGED: {
        const p = parsePayload(Envelope, payload, 'Zendesk ticket event');
        const change = parsePayload(z.looseObject({ event: StatusEvent }), payload, 'Zendesk status event');
        const status = change.event.current.toUpperCase();
        if (status !== 'SOLVED') {
          return { kind: 'ignored', eventType: type, reason: `status changed to ${status}, not SOLVED` };
        }
        return result(type, eventIdOf(p.id, headers), {
          type: 'ticket_solved',
          occurredAt: p.time ?? p.detail.updated_at,
          customer: requester(p.detail),
          data: { ticketId: p.detail.id },
        });
      }

      case SATISFACTION_TRIGGER_TYPE: {
        const p = parsePayload(Envelope, payload, 'Zendesk satisfaction');
        const rated = parsePayload(z.looseObject({ event: SatisfactionEvent }), payload, 'Zendesk satisfaction');
        const score = satisfactionScore(rated.event);
        if (score === undefined) {
          return { kind: 'ignored', eventType: type, reason: 'satisfaction offered but not rated yet' };
        }
        if (!p.time) return fieldError('time', 'is required: the trigger body must carry {{ticket.updated_at_with_timestamp}}');
        return result(type, p.id ?? `satisfaction:${p.detail.id}:${p.time}`, {
          type: 'satisfaction_rated',
          occurredAt: p.time,
          customer: requester(p.detail),
          data: { score, ticketId: p.detail.id, comment: rated.event.comment },
        });
      }

      case USER_CREATED:
      case USER_IDENTITY_CREATED:
      case USER_IDENTITY_CHANGED:
        return adaptUserEvent(type, payload, headers);

      default:
        return { kind: 'ignored', eventType: type, reason: `event type ${type} is not mapped` };
    }
  },

  sign(rawBody: string, secret: string, now: Date, eventId: string): Headers {
    // Zendesk sends second precision: 2024-04-17T17:18:10Z.
    const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      'x-zendesk-webhook-signature': hmacSha256Base64(secret, timestamp + rawBody),
      'x-zendesk-webhook-signature-timestamp': timestamp,
      'x-zendesk-webhook-id': '01HPATRONDEMOWEBHOOK00000',
      'x-zendesk-webhook-invocation-id': eventId,
      'x-zendesk-account-id': '1000001',
    };
  },
};
