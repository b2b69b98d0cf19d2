/** The subscriptions API's rules, on the in-memory store: rotation overlaps, the encoded URL bound, tests of disabled ones. */
import { Webhook } from 'standardwebhooks';
import { ConflictError, ValidationError } from '../../../layers/core/src/errors.js';
import {
  createSubscription,
  liveSecrets,
  MAX_LIVE_SECRETS,
  rotateSecret,
  SECRET_OVERLAP_MS,
  sendTestEvent,
  type SubscriptionDeps,
} from '../../../layers/core/src/outbound/subscription-service.js';
import { signedHeaders } from '../../../layers/core/src/outbound/sender.js';
import { FakeOutboundStore } from './fake-outbound-store.js';

// Real time: the receiver's library refuses a signature more than 5 minutes from its own clock.
function deps(start = new Date()) {
  let now = start;
  const store = new FakeOutboundStore();
  const queued: unknown[] = [];
  const d: SubscriptionDeps = {
    outbound: store.asStore(),
    outboundQueue: { send: async (m) => void queued.push(...m) },
    urlGuard: { allowLocalHttp: true },
    now: () => now,
  };
  return { d, store, queued, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const url = 'http://127.0.0.1:9/hook';

describe('rotating a subscription’s secret', () => {
  it('keeps every earlier secret signing for 24 hours from its own rotation, and refuses a fifth', async () => {
    const { d, advance } = deps();
    const { subscription, secret: s0 } = await createSubscription(d, { url, events: ['flag.raised'] });
    advance(60_000);
    const { secret: s1 } = await rotateSecret(d, subscription.id);
    advance(60_000);
    const { secret: s2 } = await rotateSecret(d, subscription.id);
    advance(60_000);
    const { secret: s3 } = await rotateSecret(d, subscription.id);
    const stored = (await d.outbound.getSubscription(subscription.id))!;
    const at = d.now!();
    expect(liveSecrets(stored, at)).toEqual([s3, s2, s1, s0]);
    expect(liveSecrets(stored, at)).toHaveLength(MAX_LIVE_SECRETS);
    // A receiver on any of them verifies a delivery signed now.
    const body = '{"type":"flag.raised"}';
    const headers = signedHeaders({ eventId: 'evt_1', body, secrets: liveSecrets(stored, at), now: new Date() });
    for (const s of [s0, s1, s2, s3]) expect(() => new Webhook(s).verify(body, headers)).not.toThrow();
    await expect(rotateSecret(d, subscription.id)).rejects.toBeInstanceOf(ConflictError);
    // s0 was rotated out first: it stops first, 24 hours after that rotation.
    advance(SECRET_OVERLAP_MS - 2 * 60_000 + 1);
    const later = (await d.outbound.getSubscription(subscription.id))!;
    expect(liveSecrets(later, d.now!())).toEqual([s3, s2, s1]);
    await expect(rotateSecret(d, subscription.id)).resolves.toMatchObject({ secret: expect.stringMatching(/^whsec_/) });
  });
});

describe('subscription URLs and test events', () => {
  it('bounds the URL as stored: percent-encoding cannot carry it past 2,048 characters', async () => {
    const { d } = deps();
    const long = `http://127.0.0.1:9/${'é'.repeat(1000)}`;
    expect(long.length).toBeLessThanOrEqual(2048);
    const refused = await createSubscription(d, { url: long, events: ['flag.raised'] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).issues[0]).toMatchObject({ path: 'body.url', message: expect.stringContaining('once encoded') });
  });

  it('refuses a test event to a disabled subscription (409) and queues nothing', async () => {
    const { d, queued } = deps();
    const { subscription } = await createSubscription(d, { url, events: ['flag.raised'] });
    await d.outbound.updateSubscription(subscription.id, { status: 'disabled', disabledReason: 'the receiver answered 410 Gone' });
    await expect(sendTestEvent(d, subscription.id)).rejects.toThrow(/disabled \(the receiver answered 410 Gone\)/);
    expect(queued).toEqual([]);
  });
});
