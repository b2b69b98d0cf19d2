/**
 * What a document says -> what the embedded test stack has: the docs address a reader's
 * `npm start` (http://localhost:3000, the dev API key, the dev webhook secrets); the doc tests run
 * against the stack global-setup started (a free port, and whatever secrets its environment set).
 */
import { ENV, SOURCES } from '@patron/core';
import { DEV_API_KEY, DEV_SECRETS } from '../../local/dev-config.js';
import { stackInfo } from './stack.js';

export const DOC_BASE_URL = 'http://localhost:3000';

export function stackSubstitutions(): Record<string, string> {
  const { baseUrl, apiKey, env } = stackInfo();
  const substitutions: Record<string, string> = { [DOC_BASE_URL]: baseUrl, [DEV_API_KEY]: apiKey };
  for (const source of SOURCES) {
    const name = ENV.webhookSecret[source];
    // The runtime signs and verifies with the first of a comma-separated list.
    const first = env[name]?.split(',')[0]?.trim();
    if (first) substitutions[DEV_SECRETS[name]!] = first;
  }
  return substitutions;
}
