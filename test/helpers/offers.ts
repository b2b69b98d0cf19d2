/** Shared by the offers suites: a valid offer body, an ISO instant some days ago, a JSON POST. */
import { DAY_MS } from '../../layers/core/src/time.js';
import { type ApiResponse, api } from './stack.js';

export const daysAgo = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString();

export const postJson = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> =>
  api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

/** A 30-year mortgage offer at `rate`, which passes every default rule for a plain customer. */
export const mortgage = (customerId: string, rate = 3.1, extra: Record<string, unknown> = {}) => ({
  customerId,
  kind: 'offer',
  productId: 'mortgage-30y',
  productFamily: 'mortgage',
  terms: { amount: 250000, currency: 'EUR', rate, termMonths: 360 },
  channel: 'branch',
  team: 'branch-berlin',
  ...extra,
});
