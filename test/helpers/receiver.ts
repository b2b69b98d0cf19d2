/** The demo's webhook receiver (verifies with `standardwebhooks`), and subscribing it through the API. */
import { expect } from '@jest/globals';
import { EventReceiver, type ReceivedEvent } from '../../local/demo/receiver.js';
import { postJson } from './offers.js';

export { EventReceiver as Receiver, type ReceivedEvent as Received };

/** Subscribes the receiver (its secret set from the answer); the id is pushed to `created` for clean-up. */
export async function subscribe(created: string[], receiver: EventReceiver, events: string[]): Promise<string> {
  const res = await postJson('/subscriptions', { url: receiver.url, events, description: 'integration test' });
  expect(res.status).toBe(201);
  const body = await res.json();
  expect(body.secret).toMatch(/^whsec_/);
  receiver.secret = body.secret;
  created.push(body.subscription.id);
  return body.subscription.id;
}
