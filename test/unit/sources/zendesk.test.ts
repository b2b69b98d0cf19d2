import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, SignatureError, ValidationError } from '../../../layers/core/src/errors.js';
import {
  ADAPTERS,
  SATISFACTION_TRIGGER_BODY,
  SATISFACTION_TRIGGER_TYPE,
  zendeskAdapter,
} from '../../../layers/core/src/ingest/sources/index.js';
import type { Adapted } from '../../../layers/core/src/ingest/sources/types.js';
import type { Touchpoint } from '../../../layers/core/src/touchpoint.js';

const DIR = join(process.cwd(), 'events', 'zendesk');
const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
const readSample = (name: string, dir = DIR) => readFileSync(join(dir, name), 'utf8');
const loadSample = (name: string, dir = DIR): Record<string, any> => JSON.parse(readSample(name, dir));

const SECRET = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3RzX29ubHk_zendesk01';
const OTHER = 'an_old_zendesk_signing_secret_9999';
const NOW = new Date('2025-04-01T12:00:00Z');
const BODY = readSample('ticket-created.json');

/** Zendesk's timestamp format: ISO 8601 at second precision. */
const zendeskTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Independent signer: base64(HMAC-SHA256(timestamp + body)) computed with node:crypto directly. */
function zendeskHeaders(body: string, secret = SECRET, at = NOW) {
  const timestamp = zendeskTime(at);
  return {
    'x-zendesk-webhook-signature': createHmac('sha256', secret)
      .update(timestamp + body)
      .digest('base64'),
    'x-zendesk-webhook-signature-timestamp': timestamp,
  };
}

/** The delivery headers adapt sees besides the signature (every real delivery carries both). */
const INVOCATION = {
  'x-zendesk-webhook-invocation-id': '8350205582',
  'x-zendesk-webhook-signature-timestamp': '2025-03-22T08:00:00Z',
};

function touchpointOf(result: Adapted): { dedupeKey: string; eventType: string; touchpoint: Touchpoint } {
  if (result.kind !== 'touchpoint') throw new Error(`expected a touchpoint, got ${JSON.stringify(result)}`);
  return result;
}

function validationIssues(run: () => unknown): string[] {
  try {
    run();
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => i.path);
    throw e;
  }
  throw new Error('expected a ValidationError');
}

describe('zendesk source: X-Zendesk-Webhook-Signature', () => {
  it('accepts a body signed over timestamp + body with the signing secret', () => {
    expect(() => zendeskAdapter.verify(BODY, zendeskHeaders(BODY), [SECRET], NOW)).not.toThrow();
  });

  it('accepts a body signed with the second of two configured secrets', () => {
    expect(() => zendeskAdapter.verify(BODY, zendeskHeaders(BODY), [OTHER, SECRET], NOW)).not.toThrow();
  });

  it('finds the headers in the capitalisation Zendesk documents', () => {
    const h = zendeskHeaders(BODY);
    const headers = {
      'X-Zendesk-Webhook-Signature': h['x-zendesk-webhook-signature'],
      'X-Zendesk-Webhook-Signature-Timestamp': h['x-zendesk-webhook-signature-timestamp'],
    };
    expect(() => zendeskAdapter.verify(BODY, headers, [SECRET], NOW)).not.toThrow();
  });

  it('rejects a body signed with another secret', () => {
    expect(() => zendeskAdapter.verify(BODY, zendeskHeaders(BODY, OTHER), [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a body changed after signing', () => {
    const tampered = BODY.replace('"complaint"', '"compliment"');
    expect(tampered).not.toBe(BODY);
    expect(() => zendeskAdapter.verify(tampered, zendeskHeaders(BODY), [SECRET], NOW)).toThrow(SignatureError);
  });

  it('rejects a signature whose timestamp header was rewritten', () => {
    const headers = {
      ...zendeskHeaders(BODY),
      'x-zendesk-webhook-signature-timestamp': zendeskTime(new Date(NOW.getTime() - 1000)),
    };
    expect(() => zendeskAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(/does not match/);
  });

  it.each(['x-zendesk-webhook-signature', 'x-zendesk-webhook-signature-timestamp'])('rejects a delivery without the %s header', (name) => {
    const headers: Record<string, string | undefined> = { ...zendeskHeaders(BODY) };
    delete headers[name];
    expect(() => zendeskAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(SignatureError);
  });

  it('accepts a timestamp four minutes old and rejects one more than five minutes old', () => {
    const fresh = zendeskHeaders(BODY, SECRET, new Date(NOW.getTime() - 240_000));
    const stale = zendeskHeaders(BODY, SECRET, new Date(NOW.getTime() - 301_000));
    expect(() => zendeskAdapter.verify(BODY, fresh, [SECRET], NOW)).not.toThrow();
    expect(() => zendeskAdapter.verify(BODY, stale, [SECRET], NOW)).toThrow(/too old/);
  });

  it('rejects a timestamp more than five minutes in the future', () => {
    const future = zendeskHeaders(BODY, SECRET, new Date(NOW.getTime() + 301_000));
    expect(() => zendeskAdapter.verify(BODY, future, [SECRET], NOW)).toThrow(/in the future/);
  });

  it('rejects a correctly signed timestamp that is not ISO 8601', () => {
    const timestamp = String(Math.floor(NOW.getTime() / 1000));
    const headers = {
      'x-zendesk-webhook-signature': createHmac('sha256', SECRET)
        .update(timestamp + BODY)
        .digest('base64'),
      'x-zendesk-webhook-signature-timestamp': timestamp,
    };
    expect(() => zendeskAdapter.verify(BODY, headers, [SECRET], NOW)).toThrow(/invalid signature timestamp/);
  });

  it('refuses to verify when no secret is configured', () => {
    expect(() => zendeskAdapter.verify(BODY, zendeskHeaders(BODY), [], NOW)).toThrow(ConfigError);
  });

  it('signs deliveries its verifier accepts, with a second-precision timestamp', () => {
    const headers = zendeskAdapter.sign(BODY, SECRET, new Date('2025-04-01T12:00:00.789Z'), 'inv-77');
    expect(headers['x-zendesk-webhook-signature-timestamp']).toBe('2025-04-01T12:00:00Z');
    expect(headers['x-zendesk-webhook-invocation-id']).toBe('inv-77');
    expect(headers['x-zendesk-webhook-signature']).toBe(zendeskHeaders(BODY)['x-zendesk-webhook-signature']);
    expect(() => zendeskAdapter.verify(BODY, headers, [SECRET], NOW)).not.toThrow();
    expect(() => zendeskAdapter.verify(BODY, headers, [OTHER], NOW)).toThrow(SignatureError);
  });
});

describe('zendesk source: sample events', () => {
  const adaptSample = (name: string) => zendeskAdapter.adapt(loadSample(name), INVOCATION);

  it('covers every sample in events/zendesk', () => {
    expect(jsonFiles(DIR)).toEqual([
      'satisfaction-bad.json',
      'satisfaction-good.json',
      'satisfaction-offered.json',
      'satisfaction-score.json',
      'ticket-created-question.json',
      'ticket-created.json',
      'ticket-status-pending.json',
      'ticket-status-solved.json',
      'unsupported-ticket-priority-changed.json',
      'unsupported-user-active-changed.json',
      'user-created.json',
      'user-identity-changed.json',
      'user-identity-created.json',
    ]);
  });

  it('maps ticket.created to ticket_opened, a complaint because of its tag', () => {
    expect(touchpointOf(adaptSample('ticket-created.json'))).toEqual({
      kind: 'touchpoint',
      eventType: 'zen:event-type:ticket.created',
      dedupeKey: 'cbe4028c-7239-495d-b020-f22348516046',
      touchpoint: {
        type: 'ticket_opened',
        occurredAt: '2025-03-19T14:02:11.000Z',
        customer: { externalId: '9001001' },
        data: { ticketId: '35436', subject: 'Order #1042 arrived damaged', priority: 'high', complaint: true },
      },
    });
  });

  it('maps a ticket without the complaint tag to a ticket_opened that is not a complaint', () => {
    expect(touchpointOf(adaptSample('ticket-created-question.json')).touchpoint).toEqual({
      type: 'ticket_opened',
      occurredAt: '2025-03-21T09:30:00.000Z',
      customer: { externalId: '9001002' },
      data: { ticketId: '35437', subject: 'Which grind size for a Chemex?', priority: 'low', complaint: false },
    });
  });

  it('does not call an urgent problem ticket a complaint without the tag, but honours the tag in any case', () => {
    const urgent = loadSample('ticket-created.json');
    urgent.detail.tags = ['shipping_damage'];
    urgent.detail.priority = 'URGENT';
    expect(touchpointOf(zendeskAdapter.adapt(urgent, {})).touchpoint).toMatchObject({ data: { complaint: false } });
    urgent.detail.tags = ['Complaint'];
    expect(touchpointOf(zendeskAdapter.adapt(urgent, {})).touchpoint).toMatchObject({ data: { complaint: true } });
  });

  it('maps a status change to SOLVED to ticket_solved at the time of the change', () => {
    expect(touchpointOf(adaptSample('ticket-status-solved.json'))).toEqual({
      kind: 'touchpoint',
      eventType: 'zen:event-type:ticket.status_changed',
      dedupeKey: 'e3b1f2a4-6c7d-4e8f-9a0b-1c2d3e4f5a6b',
      touchpoint: {
        type: 'ticket_solved',
        occurredAt: '2025-03-20T10:15:42.904Z',
        customer: { externalId: '9001001' },
        data: { ticketId: '35436' },
      },
    });
  });

  it('ignores a status change to anything but SOLVED', () => {
    expect(adaptSample('ticket-status-pending.json')).toEqual({
      kind: 'ignored',
      eventType: 'zen:event-type:ticket.status_changed',
      reason: expect.stringContaining('PENDING'),
    });
  });

  it('maps a good satisfaction rating to score 5 with the requester email and id', () => {
    expect(touchpointOf(adaptSample('satisfaction-good.json'))).toEqual({
      kind: 'touchpoint',
      eventType: SATISFACTION_TRIGGER_TYPE,
      dedupeKey: 'satisfaction:35436:2025-03-28T09:12:00Z',
      touchpoint: {
        type: 'satisfaction_rated',
        occurredAt: '2025-03-28T09:12:00.000Z',
        customer: { email: 'ann@example.com', externalId: '9001001' },
        data: { score: 5, ticketId: '35436', comment: 'Replacement arrived in two days, thank you!' },
      },
    });
  });

  it('maps a bad satisfaction rating to score 1 and drops the empty comment', () => {
    expect(touchpointOf(adaptSample('satisfaction-bad.json')).touchpoint).toMatchObject({
      customer: { email: 'bob@example.org', externalId: '9001002' },
      data: { score: 1, ticketId: '35437' },
    });
    expect(touchpointOf(adaptSample('satisfaction-bad.json')).touchpoint.data).not.toHaveProperty('comment');
  });

  it('keeps a numeric 1-5 score as it is', () => {
    expect(touchpointOf(adaptSample('satisfaction-score.json')).touchpoint).toMatchObject({
      type: 'satisfaction_rated',
      customer: { email: 'chloe@example.com', externalId: '9001003' },
      data: { score: 4, ticketId: '35438', comment: 'Helpful, but slow to answer' },
    });
    const payload = loadSample('satisfaction-score.json');
    payload.event.score = '2';
    expect(touchpointOf(zendeskAdapter.adapt(payload, INVOCATION)).touchpoint).toMatchObject({ data: { score: 2 } });
  });

  it('dates a rating by the ticket time in the body, so a retry (new signature timestamp) keeps its key', () => {
    const first = { ...INVOCATION, 'x-zendesk-webhook-signature-timestamp': '2025-03-28T09:13:00Z' };
    const retry = { ...INVOCATION, 'x-zendesk-webhook-signature-timestamp': '2025-03-28T09:20:00Z' };
    const a = touchpointOf(zendeskAdapter.adapt(loadSample('satisfaction-good.json'), first));
    const b = touchpointOf(zendeskAdapter.adapt(loadSample('satisfaction-good.json'), retry));
    expect(a.touchpoint.occurredAt).toBe('2025-03-28T09:12:00.000Z');
    expect(b.dedupeKey).toBe(a.dedupeKey);
  });

  it('rejects a satisfaction body without its time', () => {
    const { time: _, ...undated } = loadSample('satisfaction-good.json');
    expect(validationIssues(() => zendeskAdapter.adapt(undated, INVOCATION))).toEqual(['time']);
  });

  it('ignores a satisfaction survey that was offered but not answered', () => {
    expect(adaptSample('satisfaction-offered.json')).toMatchObject({ kind: 'ignored' });
  });

  it('ignores a known event type it does not map, such as ticket.priority_changed', () => {
    expect(adaptSample('unsupported-ticket-priority-changed.json')).toEqual({
      kind: 'ignored',
      eventType: 'zen:event-type:ticket.priority_changed',
      reason: expect.stringContaining('not mapped'),
    });
  });

  it('documents a trigger body that, once rendered, maps to satisfaction_rated', () => {
    const rendered = SATISFACTION_TRIGGER_BODY.replaceAll('{{ticket.id}}', '35436')
      .replace('{{ticket.updated_at_with_timestamp}}', '2025-03-28T09:12:00Z')
      .replace('{{ticket.requester.id}}', '9001001')
      .replace('{{ticket.requester.email}}', 'ann@example.com')
      .replace('{{satisfaction.current_rating}}', "Bad, I'm unsatisfied")
      .replace('{{satisfaction.current_comment}}', 'Too slow');
    const { touchpoint } = touchpointOf(zendeskAdapter.adapt(JSON.parse(rendered), INVOCATION));
    expect(touchpoint).toMatchObject({
      type: 'satisfaction_rated',
      customer: { email: 'ann@example.com', externalId: '9001001' },
      data: { score: 1, ticketId: '35436', comment: 'Too slow' },
    });
  });

  it('is the adapter registered for the zendesk source', () => {
    expect(ADAPTERS.zendesk).toBe(zendeskAdapter);
  });
});

describe('zendesk source: user events', () => {
  const adaptSample = (name: string) => zendeskAdapter.adapt(loadSample(name), INVOCATION);

  it('maps user.created to profile_updated with the email and the Zendesk user id, keyed by the event id', () => {
    expect(touchpointOf(adaptSample('user-created.json'))).toEqual({
      kind: 'touchpoint',
      eventType: 'zen:event-type:user.created',
      dedupeKey: '3f6c2a71-8d4e-4b9a-a5c0-2e7d91b4f806',
      touchpoint: {
        type: 'profile_updated',
        occurredAt: '2025-03-19T14:01:58.000Z',
        customer: { email: 'ann@example.com', externalId: '9001001' },
        data: { role: 'end-user' },
      },
    });
  });

  it('links the requester id of ticket events to the same identifiers', () => {
    const user = touchpointOf(adaptSample('user-created.json')).touchpoint;
    const ticket = touchpointOf(adaptSample('ticket-created.json')).touchpoint;
    expect(ticket.customer.externalId).toBe(user.customer.externalId);
    expect(user.customer.email).toBe('ann@example.com');
    expect(Date.parse(user.occurredAt)).toBeLessThanOrEqual(Date.parse(ticket.occurredAt));
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['empty', ''],
  ])('maps a user whose email is %s with the Zendesk id alone', (_, email) => {
    const payload = loadSample('user-created.json');
    if (email === undefined) delete payload.detail.email;
    else payload.detail.email = email;
    expect(touchpointOf(zendeskAdapter.adapt(payload, INVOCATION)).touchpoint).toEqual({
      type: 'profile_updated',
      occurredAt: '2025-03-19T14:01:58.000Z',
      customer: { externalId: '9001001' },
      data: { role: 'end-user' },
    });
  });

  it('accepts a numeric user id and falls back on the event time when the user has no created_at', () => {
    const payload = loadSample('user-created.json');
    payload.detail.id = 9001001;
    delete payload.detail.created_at;
    const { touchpoint } = touchpointOf(zendeskAdapter.adapt(payload, INVOCATION));
    expect(touchpoint).toMatchObject({ occurredAt: '2025-03-19T14:01:58.412Z', customer: { externalId: '9001001' } });
  });

  it('uses the invocation id when the event has no id', () => {
    const { id: _, ...anonymous } = loadSample('user-created.json');
    expect(touchpointOf(zendeskAdapter.adapt(anonymous, INVOCATION)).dedupeKey).toBe('8350205582');
  });

  it.each(['agent', 'admin'])('ignores a user created as %s: staff, not a customer', (role) => {
    const payload = loadSample('user-created.json');
    payload.detail.role = role;
    expect(zendeskAdapter.adapt(payload, INVOCATION)).toEqual({
      kind: 'ignored',
      eventType: 'zen:event-type:user.created',
      reason: expect.stringContaining('not a customer'),
    });
  });

  it('maps a primary email identity created on a user to profile_updated with that email', () => {
    expect(touchpointOf(adaptSample('user-identity-created.json'))).toEqual({
      kind: 'touchpoint',
      eventType: 'zen:event-type:user.identity_created',
      dedupeKey: 'b81d4e27-0c3a-4f65-9e12-6a7b8c9d0e1f',
      touchpoint: {
        type: 'profile_updated',
        occurredAt: '2025-03-24T08:15:41.090Z',
        customer: { email: 'chloe@example.com', externalId: '9001003' },
        data: { role: 'end-user', primaryEmail: 'added' },
      },
    });
  });

  it('maps an identity change that leaves a primary email to profile_updated with the current value', () => {
    expect(touchpointOf(adaptSample('user-identity-changed.json')).touchpoint).toEqual({
      type: 'profile_updated',
      occurredAt: '2025-03-26T17:48:03.771Z',
      customer: { email: 'bob@example.org', externalId: '9001002' },
      data: { role: 'end-user', primaryEmail: 'changed' },
    });
    const changed = loadSample('user-identity-changed.json');
    changed.event.previous = { id: '27730456088', primary: true, type: 'email', value: 'bob@old.example.org' };
    changed.event.current = { id: '27730456088', primary: true, type: 'email', value: 'bob.new@example.org' };
    expect(touchpointOf(zendeskAdapter.adapt(changed, INVOCATION)).touchpoint.customer).toEqual({
      email: 'bob.new@example.org',
      externalId: '9001002',
    });
  });

  it('ignores identities that are not the primary email', () => {
    const secondary = loadSample('user-identity-created.json');
    secondary.event.identity.primary = false;
    expect(zendeskAdapter.adapt(secondary, INVOCATION)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('secondary email'),
    });
    const phone = loadSample('user-identity-created.json');
    phone.event.identity = { id: '27730456102', primary: true, type: 'phone_number', value: '+14155550103' };
    expect(zendeskAdapter.adapt(phone, INVOCATION)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('phone_number') });
    const demoted = loadSample('user-identity-changed.json');
    demoted.event.current.primary = false;
    expect(zendeskAdapter.adapt(demoted, INVOCATION)).toMatchObject({ kind: 'ignored', eventType: 'zen:event-type:user.identity_changed' });
  });

  it('rejects an identity event without its identity, naming the field', () => {
    const created = loadSample('user-identity-created.json');
    created.event = {};
    expect(validationIssues(() => zendeskAdapter.adapt(created, INVOCATION))).toEqual(['event.identity']);
    const changed = loadSample('user-identity-changed.json');
    changed.event.current.value = '';
    expect(validationIssues(() => zendeskAdapter.adapt(changed, INVOCATION))).toEqual(['event.current.value']);
  });

  it("accepts the slash spelling of Zendesk's event reference (zen:event-type/user.identity_changed)", () => {
    const payload = loadSample('user-identity-changed.json');
    payload.type = 'zen:event-type/user.identity_changed';
    const adapted = touchpointOf(zendeskAdapter.adapt(payload, INVOCATION));
    expect(adapted.eventType).toBe('zen:event-type/user.identity_changed');
    expect(adapted.touchpoint.type).toBe('profile_updated');
  });

  it('ignores an unrelated user event such as user.active_changed', () => {
    expect(adaptSample('unsupported-user-active-changed.json')).toEqual({
      kind: 'ignored',
      eventType: 'zen:event-type:user.active_changed',
      reason: expect.stringContaining('not mapped'),
    });
  });

  it.each(['user.name_changed', 'user.deleted', 'user.merged', 'user.identity_deleted'])('ignores zen:event-type:%s', (kind) => {
    const payload = loadSample('user-created.json');
    payload.type = `zen:event-type:${kind}`;
    expect(zendeskAdapter.adapt(payload, INVOCATION)).toMatchObject({ kind: 'ignored' });
  });
});

describe('zendesk source: invalid payloads', () => {
  const INVALID = join(DIR, 'invalid');
  const expectedPath: Record<string, string> = {
    'missing-identity.json': 'detail.requester_id',
    'bad-timestamp.json': 'time',
    'score-out-of-range.json': 'event.score',
    'missing-ticket-id.json': 'detail.id',
    'user-missing-id.json': 'detail.id',
    'user-bad-email.json': 'touchpoint.customer.email',
    'long-ticket-id.json': 'detail.id',
  };

  it('has an expected field path for every invalid sample', () => {
    expect(jsonFiles(INVALID)).toEqual(Object.keys(expectedPath).sort());
  });

  it.each(Object.entries(expectedPath))('rejects %s with a ValidationError at %s', (name, path) => {
    expect(validationIssues(() => zendeskAdapter.adapt(loadSample(name, INVALID), INVOCATION))).toContain(path);
  });

  it('ships a malformed.txt that is not JSON at all (the caller answers it as a parse error)', () => {
    expect(() => JSON.parse(readSample('malformed.txt', INVALID))).toThrow(SyntaxError);
  });
});
