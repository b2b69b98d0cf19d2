/**
 * Client mistakes on the API answer 4xx, never 500 (hardening findings 5 and 8): percent signs and
 * over-long ids in paths, and the lookup that keeps PII out of URLs.
 */
import { api, stackInfo } from '../helpers/stack.js';
import { deliver, purchase, uniqueEmail } from '../helpers/webhooks.js';

const post = (path: string, body: unknown) =>
  api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

describe('path parameters', () => {
  it.each([
    '/customers/%25',
    '/customers/%25/touchpoints',
    '/offers/%25',
    '/mining-runs/%25',
    '/customers/%25/offers',
    '/customers/%25/flags',
  ])('GET %s answers 404, not 500 (the id is decoded once, by the gateway)', async (path) => {
    expect((await api(path)).status).toBe(404);
  });

  it('does not decode twice: /webhooks/%2567eneric names no source', async () => {
    const res = await fetch(`${stackInfo().baseUrl}/webhooks/%2567eneric`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(404);
  });

  it('answers 422 naming the parameter for an id over 255 characters', async () => {
    const res = await api(`/customers/${'x'.repeat(3000)}`);
    expect(res.status).toBe(422);
    expect((await res.json()).issues).toEqual([{ path: 'path.id', message: 'must be at most 255 characters' }]);
  });
});

describe('POST /customers/lookup', () => {
  it('finds a customer by email from the body', async () => {
    const email = uniqueEmail('lookup');
    const stored = await deliver('generic', purchase({ email }, 1_000));
    const res = await post('/customers/lookup', { email: email.toUpperCase() });
    expect(res.status).toBe(200);
    expect((await res.json()).customers.map((c: { id: string }) => c.id)).toEqual([stored.body.customerId]);
  });

  it('answers an empty list for an unknown address and 422 for neither or both fields', async () => {
    expect(await (await post('/customers/lookup', { email: uniqueEmail('nobody') })).json()).toEqual({ customers: [] });
    expect((await post('/customers/lookup', {})).status).toBe(422);
    expect((await post('/customers/lookup', { email: uniqueEmail('x'), phone: '+4930123456' })).status).toBe(422);
  });
});
